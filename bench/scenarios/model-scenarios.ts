// The model-bound scenarios of `npm run bench` (issue 19), each selectable by name (`--only model-fixed`, or
// `--only model` for all). Sizes: BENCH_MODEL_CASES (default 1,000; 200 with --quick), BENCH_DEFERRED_JOBS (default
// 1,000,000; 100,000 with --quick), BENCH_DEFERRED_LATENCY_MS (model-deferred's latency, default 0), BENCH_MODEL_RPM
// (default 300), BENCH_REPEATS (default 1: runs per scenario, reported as min/median/max), BENCH_MODEL_OUTREACH_ONLY=1 (stop once all are RUNNING). Offload's own settings
// (WORKER_CONCURRENCY, MODEL_MAX_CONCURRENCY, MODEL_RPM ...) pass through from the environment to the processes the
// bench starts.
import { log, medianBy } from '../lib';
import type { Latency, RateLimit } from '../model-fake';
import { pct, scenario, type Scenario } from '../scenario';
import { benchModelRun, describe, type ModelRunOptions, type ModelRunResult, type PhaseResult } from './model';

const envInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: not a whole number >= 0: ${raw}`);
  return n;
};

const casesFor = (quick: boolean): number => envInt('BENCH_MODEL_CASES', quick ? 200 : 1000);
const repeats = (): number => Math.max(1, envInt('BENCH_REPEATS', 1));

const FIXED_1S: Latency = { kind: 'fixed', ms: 1000 };
const UNIFORM: Latency = { kind: 'uniform', minMs: 500, maxMs: 3000 };

const rpm = (rejectionsCount: boolean): RateLimit => {
  const requestsPerMinute = envInt('BENCH_MODEL_RPM', 300);
  // One second's worth at once: providers enforce a per-minute limit over short windows, not as a minute's burst.
  return { requestsPerMinute, burst: Math.max(1, Math.round(requestsPerMinute / 60)), rejectionsCount };
};

/** Runs of one configuration: every run kept, the median (by RUNNING ratio) shown, min-max of both phases' ratios. */
interface Repeated {
  runs: ModelRunResult[];
  median: ModelRunResult;
  toRunningRatio: Spread;
  toCompletedRatio: Spread | null;
}

interface Spread {
  min: number;
  median: number;
  max: number;
}

const spread = (values: number[]): Spread => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: medianBy(sorted, (v) => v), max: sorted.at(-1)! };
};

const fmtSpread = (s: Spread, n: number): string =>
  n > 1 ? `${pct(s.median)} (min ${pct(s.min)}, max ${pct(s.max)} of ${n})` : pct(s.median);

async function repeated(options: ModelRunOptions): Promise<Repeated> {
  const runs: ModelRunResult[] = [];
  const n = repeats();
  for (let i = 0; i < n; i++) {
    if (n > 1) log(`  run ${i + 1}/${n}`);
    runs.push(await benchModelRun(options));
  }
  const completed = runs.map((r) => r.toCompleted?.ratio).filter((r): r is number => r !== undefined);
  return {
    runs,
    median: medianBy(runs, (r) => r.toRunning.ratio),
    toRunningRatio: spread(runs.map((r) => r.toRunning.ratio)),
    toCompletedRatio: completed.length === runs.length ? spread(completed) : null,
  };
}

const phaseText = (label: string, p: PhaseResult | null, cases: number): string => {
  if (!p) return `${label}: not run`;
  const head = p.stalled
    ? `${label}: STALLED at ${p.reached}/${cases} after ${p.seconds.toFixed(1)} s`
    : `${label} ${p.seconds.toFixed(1)} s`;
  return `${head} vs limit ${p.limitSeconds.toFixed(1)} s (${p.limitBy})`;
};

/** The shared tail of every model line: what was paid for, what failed. */
const accounting = (r: ModelRunResult): string =>
  `compose calls ${r.model.composeAnswered} for ${r.cases} cases (${r.model.composeRequests} requests), evaluations ` +
  `${r.model.evaluateAnswered}, 429s ${r.model.rejected429}, peak in flight ${r.model.peakInFlight}; failed ` +
  `${r.failedCases}, dead-lettered ${r.deadLettered}${Object.keys(r.otherStatuses).length ? `, other statuses ${JSON.stringify(r.otherStatuses)}` : ''}`;

const allowedText = (r: ModelRunResult): string =>
  `allowed concurrency ${r.allowedConcurrency.total} = ${r.allowedConcurrency.source}${r.workers > 1 ? ` x ${r.workers} workers` : ''}`;

function latencyScenario(name: string, latency: Latency, target: number): Scenario {
  return scenario(
    name,
    (quick) => repeated({ cases: casesFor(quick), latency, rateLimit: null, workers: 1, deferredJobs: 0 }),
    (r) => {
      const m = r.median;
      return (
        `${name}: ${m.cases} cases, ${describe(m)}, ${allowedText(m)}: ${phaseText('to RUNNING', m.toRunning, m.cases)}, ` +
        `ratio ${fmtSpread(r.toRunningRatio, r.runs.length)}; ${phaseText('replies to COMPLETED', m.toCompleted, m.cases)}, ` +
        `ratio ${r.toCompletedRatio ? fmtSpread(r.toCompletedRatio, r.runs.length) : '-'} (target >= ${target}); ${accounting(m)}`
      );
    },
  );
}

function rateScenario(name: string, rejectionsCount: boolean, target: number): Scenario {
  return scenario(
    name,
    (quick) =>
      repeated({
        cases: casesFor(quick),
        latency: FIXED_1S,
        rateLimit: rpm(rejectionsCount),
        workers: 1,
        deferredJobs: 0,
      }),
    (r) => {
      const m = r.median;
      // Every run must be clean, not just the median one: a wasted compose is a paid call whichever run made it.
      const ok = r.runs.every(
        (x) =>
          x.failedCases === 0 && x.deadLettered === 0 && x.model.composeAnswered === x.cases && !x.toRunning.stalled,
      );
      const perRun =
        r.runs.length > 1
          ? `; per run: compose calls ${r.runs.map((x) => x.model.composeAnswered).join(', ')}, 429s ${r.runs.map((x) => x.model.rejected429).join(', ')}`
          : '';
      return (
        `${name}: ${m.cases} cases, ${describe(m)}, ${allowedText(m)}: ${phaseText('to RUNNING', m.toRunning, m.cases)}, ` +
        `ratio of allowed rate ${fmtSpread(r.toRunningRatio, r.runs.length)}; ` +
        `${phaseText('replies to COMPLETED', m.toCompleted, m.cases)}, ratio ${r.toCompletedRatio ? fmtSpread(r.toCompletedRatio, r.runs.length) : '-'} ` +
        `(target >= ${target}, 0 failed/dead-lettered, compose calls = cases: ${ok ? 'met' : 'missed'}); ${accounting(m)}${perRun}`
      );
    },
  );
}

/** Two runs of the same campaign whose throughputs are compared: `b` over `a`, per phase. */
interface Comparison {
  a: ModelRunResult;
  b: ModelRunResult;
  toRunning: number;
  toCompleted: number | null;
  target: number;
}

function compare(a: ModelRunResult, b: ModelRunResult, target: number): Comparison {
  const throughput = (p: PhaseResult | null) => (p && !p.stalled ? p.perSecond : null);
  const ratio = (x: number | null, y: number | null) => (x && y ? y / x : null);
  return {
    a,
    b,
    toRunning: ratio(throughput(a.toRunning), throughput(b.toRunning)) ?? 0,
    toCompleted: ratio(throughput(a.toCompleted), throughput(b.toCompleted)),
    target,
  };
}

const comparisonText = (c: Comparison, aLabel: string, bLabel: string): string =>
  `${bLabel} ${c.b.toRunning.perSecond.toFixed(1)} cases/s to RUNNING, ${c.b.toCompleted?.perSecond.toFixed(1) ?? '-'}/s to COMPLETED ` +
  `vs ${aLabel} ${c.a.toRunning.perSecond.toFixed(1)}/s, ${c.a.toCompleted?.perSecond.toFixed(1) ?? '-'}/s: ` +
  `${pct(c.toRunning)}x to RUNNING, ${c.toCompleted === null ? '-' : `${pct(c.toCompleted)}x`} to COMPLETED (target >= ${c.target}x)`;

export const modelScenarios: Scenario[] = [
  latencyScenario('model-fixed', FIXED_1S, 0.9),
  latencyScenario('model-uniform', UNIFORM, 0.9),
  rateScenario('model-rpm', false, 0.9),
  rateScenario('model-rpm-strict', true, 0.9),
  scenario(
    'model-workers',
    async (quick) => {
      const base = { cases: casesFor(quick), latency: FIXED_1S, rateLimit: null, deferredJobs: 0 };
      log('  model-workers: serve alone (1 worker process)...');
      const one = await benchModelRun({ ...base, workers: 1 });
      log('  model-workers: serve + worker (2 worker processes)...');
      const two = await benchModelRun({ ...base, workers: 2 });
      return compare(one, two, 1.8);
    },
    (c) =>
      `model-workers: ${c.a.cases} cases, ${describe(c.a)}: ` +
      `${comparisonText(c, '1 worker', '2 workers')}; allowed concurrency ${c.a.allowedConcurrency.perWorker} per worker ` +
      `(${c.a.allowedConcurrency.source}); 2-worker run: ${accounting(c.b)}`,
  ),
  scenario(
    'model-deferred',
    async (quick) => {
      const deferred = envInt('BENCH_DEFERRED_JOBS', quick ? 100_000 : 1_000_000);
      // At 0 ms the run is bound by the database, where anything that grows with the waiting cases would show; a model latency
      // (BENCH_DEFERRED_LATENCY_MS) hides some of it behind the wait, as in a real campaign.
      const latency: Latency = { kind: 'fixed', ms: envInt('BENCH_DEFERRED_LATENCY_MS', 0) };
      const base = { cases: casesFor(quick), latency, rateLimit: null, workers: 1 };
      log('  model-deferred: empty queue...');
      const empty = await benchModelRun({ ...base, deferredJobs: 0 });
      log(`  model-deferred: ${deferred} cases waiting for a follow-up...`);
      const full = await benchModelRun({ ...base, deferredJobs: deferred });
      return compare(empty, full, 0.9);
    },
    (c) =>
      `model-deferred: ${c.a.cases} cases, ${describe(c.a)}: ${comparisonText(c, 'no waiting cases', `${c.b.deferredJobs} waiting cases`)}; ` +
      `${allowedText(c.a)}; deferred run: ${accounting(c.b)}`,
  ),
];
