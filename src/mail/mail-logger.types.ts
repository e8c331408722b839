// The mail adapters log through this slice of pino's interface so they stay free of the composition root.
export interface MailLogger {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export const silentLogger: MailLogger = { warn: () => undefined, error: () => undefined };

/** What is safe to log about a failure: no stack, no payload. */
export function describeError(err: unknown): { error: string } {
  return { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}
