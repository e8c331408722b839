// The CLI's two streams: results (JSON lines a script can read) on stdout, progress for a person on stderr.
export const print = (line: string): void => void process.stdout.write(`${line}\n`);
export const progress = (line: string): void => void process.stderr.write(`${line}\n`);

/**
 * Failures a user can act on, printed as their message alone (no stack) with exit code 1: a bad variable, an
 * unreachable database, a taken port, an unknown account.
 */
export const EXPECTED_ERRORS = new Set(['ConfigError', 'AppError', 'DatabaseUnavailableError', 'StartupError']);

export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** The URLs a person opens, for the banner and the demo's last line. */
export function offloadUrls(base: string): { graphql: string; dashboard: string } {
  const root = base.replace(/\/$/, '');
  return { graphql: `${root}/graphql`, dashboard: `${root}/` };
}
