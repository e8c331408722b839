// A benchmark as `npm run bench` runs it: a name for --only, a run, and the verdict line it prints.
export interface Scenario {
  name: string;
  /** Runs the benchmark; returns its result and the one-line verdict for the table. */
  run: (quick: boolean) => Promise<{ result: object; line: string }>;
}

/** Pairs a benchmark with its verdict line, keeping each scenario's own result type. */
export const scenario = <T extends object>(
  name: string,
  run: (quick: boolean) => Promise<T>,
  verdict: (result: T) => string,
): Scenario => ({
  name,
  run: async (quick) => {
    const result = await run(quick);
    return { result, line: verdict(result) };
  },
});

export const pct = (n: number): string => n.toFixed(2);
