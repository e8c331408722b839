/** Polls `probe` until it returns a value (not undefined/false), or fails after `timeoutMs` saying what it waited for. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * The one status waiter: polls `read` (a GraphQL query, a REST route, ...) until the case has `status`, and answers
 * what it read then. On timeout it says which status the case was stuck in (and `describe` adds more).
 */
export async function waitForStatus<T extends { status: string }>(
  read: (id: string) => Promise<T | null | undefined>,
  id: string,
  status: string,
  options: { timeoutMs?: number; describe?: (seen: T) => string } = {},
): Promise<T> {
  let last: T | null | undefined;
  try {
    return await waitFor(
      `case ${id} to be ${status}`,
      async () => {
        last = await read(id);
        return last?.status === status ? last : undefined;
      },
      options.timeoutMs,
    );
  } catch (error) {
    const seen = last as T | null | undefined;
    const where = seen ? (options.describe?.(seen) ?? seen.status) : 'never read';
    throw new Error(`${String(error)}; case was ${where}`);
  }
}
