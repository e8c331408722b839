// The one mapping from errors to the reference REST envelope: `{ ok: false, error: { code, message } }` with the
// reference's codes and statuses. Anything that is not an expected failure is a bug: logged, masked as 500.
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { AppError, type ErrorCode } from '../domain/app.errors';
import type { Logger } from '../observability/logger.factory';

export type RestErrorCode =
  | 'INVALID_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'CASE_NOT_FOUND'
  | 'ATTACHMENT_NOT_FOUND'
  | 'CASE_NOT_WAITING_FOR_INPUT'
  | 'INPUT_REQUEST_NOT_PENDING'
  | 'INPUT_REQUEST_MISMATCH'
  | 'USAGE_LIMIT_REACHED'
  | 'RATE_LIMITED'
  | 'COUNTERPARTY_SUPPRESSED'
  | 'SMS_CONVERSATION_BUSY'
  | 'WEBHOOK_DELIVERY_NOT_FOUND'
  | 'NOT_FOUND'
  | 'INTERNAL_ERROR';

/** Our codes in the reference's words: BAD_USER_INPUT is INVALID_REQUEST there, UNAUTHENTICATED is UNAUTHORIZED. */
export const REST_ERRORS: Record<ErrorCode, { status: number; code: RestErrorCode }> = {
  BAD_USER_INPUT: { status: 400, code: 'INVALID_REQUEST' },
  UNAUTHENTICATED: { status: 401, code: 'UNAUTHORIZED' },
  FORBIDDEN: { status: 403, code: 'FORBIDDEN' },
  CASE_NOT_FOUND: { status: 404, code: 'CASE_NOT_FOUND' },
  ATTACHMENT_NOT_FOUND: { status: 404, code: 'ATTACHMENT_NOT_FOUND' },
  CASE_NOT_WAITING_FOR_INPUT: { status: 409, code: 'CASE_NOT_WAITING_FOR_INPUT' },
  INPUT_REQUEST_NOT_PENDING: { status: 409, code: 'INPUT_REQUEST_NOT_PENDING' },
  INPUT_REQUEST_MISMATCH: { status: 409, code: 'INPUT_REQUEST_MISMATCH' },
  // The reference has no idempotency keys; REST never sends one, so this cannot happen there.
  IDEMPOTENCY_KEY_REUSED: { status: 409, code: 'INVALID_REQUEST' },
  USAGE_LIMIT_REACHED: { status: 429, code: 'USAGE_LIMIT_REACHED' },
  RATE_LIMITED: { status: 429, code: 'RATE_LIMITED' },
  // Ours (SPEC §11): the reference has no suppression list.
  COUNTERPARTY_SUPPRESSED: { status: 409, code: 'COUNTERPARTY_SUPPRESSED' },
  // Ours (SPEC §13): the number already has an open SMS case with our number.
  SMS_CONVERSATION_BUSY: { status: 409, code: 'SMS_CONVERSATION_BUSY' },
  WEBHOOK_DELIVERY_NOT_FOUND: { status: 404, code: 'WEBHOOK_DELIVERY_NOT_FOUND' },
  // Feed cursors exist only on GraphQL subscriptions; REST never meets one.
  CURSOR_EXPIRED: { status: 410, code: 'INVALID_REQUEST' },
};

/** The one writer of the error envelope, for the reference routes and our own HTTP routes beside them. */
export function sendError(
  res: Response,
  status: number,
  code: RestErrorCode | ErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): void {
  res.status(status).json({ ok: false, error: { code, message, ...details } });
}

/** An expected refusal (authentication, rate limit) in the REST envelope, before any route has run. */
export function restRefusal(res: Response, error: AppError): void {
  const { status, code } = REST_ERRORS[error.code];
  sendError(res, status, code, error.message, error.details);
}

export function sendOk(res: Response, data: unknown, status = 200): void {
  res.status(status).json({ ok: true, data });
}

/** Express error handler for the REST router: body-parser failures, AppErrors, then everything else. */
export function restErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof AppError) {
      const { status, code } = REST_ERRORS[error.code];
      return sendError(res, status, code, error.message);
    }
    const refused = requestError(error);
    if (refused) return sendError(res, refused.status, 'INVALID_REQUEST', refused.message);
    logger.error({ err: error }, 'unhandled error in REST route');
    sendError(res, 500, 'INTERNAL_ERROR', 'Internal error');
  };
}

/**
 * Request errors raised before a route runs, all the caller's: express.json() failures (malformed JSON, too large,
 * wrong charset) and the router's refusal of a path parameter that is not valid percent-encoding (`/cases/%ff`).
 */
export function requestError(error: unknown): { status: number; message: string } | null {
  const e = error as { type?: unknown; status?: unknown; message?: unknown };
  if (typeof e?.status !== 'number' || e.status < 400 || e.status >= 500) return null;
  if (error instanceof URIError) return { status: 400, message: 'path: not valid percent-encoding' };
  if (typeof e.type !== 'string') return null;
  const message = e.type === 'entity.parse.failed' ? 'body: not valid JSON' : `body: ${String(e.message)}`;
  return { status: e.status === 413 ? 413 : 400, message };
}

/** The last error handler of the app: routes of our own beside the reference's get the same envelope. */
/** A path no route answers: the envelope a client parses, not Express's HTML page (`/cases/.` normalises to one). */
export function notFoundHandler(): RequestHandler {
  return (req, res) => sendError(res, 404, 'NOT_FOUND', `No route for ${req.method} ${req.path}`);
}

export function fallbackErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    const refused = requestError(error);
    if (refused) return sendError(res, refused.status, 'INVALID_REQUEST', refused.message);
    logger.error({ err: error }, 'unhandled error in HTTP route');
    sendError(res, 500, 'INTERNAL_ERROR', 'Internal error');
  };
}
