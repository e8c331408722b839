// Authentication (and the per-key rate limit) before a request's body is read: an unauthenticated or over-budget
// caller never gets a body parser to fill memory and spend CPU on. Every authenticated route mounts this first; the
// account is left in res.locals for the handler.
import type { RequestHandler, Response } from 'express';
import { AppError } from '../domain/app.errors';
import type { AuthenticatedAccount } from '../services/accounts/account.service';
import type { KeyRateLimit } from '../services/accounts/key-rate.types';
import { authenticateRequest, type KeyAuthenticator } from '../services/accounts/request-auth.service';

export type RefusalWriter = (res: Response, error: AppError) => void;

export function keyGuard(accounts: KeyAuthenticator, limiter: KeyRateLimit, refuse: RefusalWriter): RequestHandler {
  return (req, res, next) => {
    const refuseUnread = (error: AppError) => {
      // Node would otherwise read (and discard) whatever body is still coming: it closes the connection instead once
      // the response is written.
      if (!req.complete) res.setHeader('Connection', 'close');
      refuse(res, error);
    };
    authenticateRequest(accounts, req.headers).then(
      (account) => {
        const rate = limiter.take(account.keyId);
        if (!rate.allowed) {
          res.setHeader('Retry-After', String(rate.retryAfterSeconds));
          return refuseUnread(rateLimited(rate.retryAfterSeconds, limiter.perMinute));
        }
        res.locals.account = account;
        next();
      },
      (error: unknown) => (error instanceof AppError ? refuseUnread(error) : next(error)),
    );
  };
}

export function rateLimited(retryAfterSeconds: number, perMinute: number): AppError {
  return new AppError(
    'RATE_LIMITED',
    `Rate limit exceeded: at most ${perMinute} requests per minute per API key; retry after ${retryAfterSeconds} s`,
    { retryAfterSeconds },
  );
}

/** The account keyGuard authenticated; a route without the guard in front of it has none and is a wiring bug. */
export function guardedAccount(res: Response): AuthenticatedAccount {
  const account = res.locals.account as AuthenticatedAccount | undefined;
  if (!account) throw new Error('route mounted without keyGuard');
  return account;
}
