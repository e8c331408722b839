import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'offload' },
    redact: ['apiKey', 'headers.authorization', 'headers["x-api-key"]'],
  });
}
