// The reference service's REST API (POST /cases, GET /cases/{id}, POST /cases/{id}/input, attachments), served by
// the same services and validated by the same zod schemas as GraphQL. Where the reference answers 403 for another
// user's case, we answer 404 CASE_NOT_FOUND: SPEC §2 says another account's case answers exactly like a missing one.
import { json, Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Config } from '../config/env.config';
import { badField, type AppError } from '../domain/app.errors';
import { chargeBatch } from '../services/accounts/batch-rate.policy';
import { MAX_BATCH } from '../services/cases/case-batch.service';
import { createLogger, type Logger } from '../observability/logger.factory';
import type { AuthenticatedAccount } from '../services/accounts/account.service';
import type { KeyRateLimit } from '../services/accounts/key-rate.types';
import type { Services } from '../services/service.registry';
import { renderTranscript } from '../services/cases/transcript.mapper';
import { guardedAccount, keyGuard } from './key.guard';
import { restErrorHandler, restRefusal, sendOk } from './rest.errors';
import { toRestAttachment, toRestBatchResult, toRestCase } from './rest.mapper';

type AuthedHandler = (req: Request, res: Response, account: AuthenticatedAccount) => Promise<void>;

/** A createCase or submitInput body is at most a few hundred kilobytes under the input schema's caps. */
export const REST_BODY_LIMIT = '1mb';

/** A batch holds up to 100 inputs, each under the same caps as one POST /cases. */
export const REST_BATCH_BODY_LIMIT = '8mb';

export function restRoutes(services: Services, config: Config, limiter: KeyRateLimit, logger?: Logger): Router {
  const router = Router();
  const guard = keyGuard(services.accounts, limiter, restRefusal);
  const body = json({ limit: REST_BODY_LIMIT });
  // The key is checked (and the rate limit taken) before the body is read.
  const authed = (handler: AuthedHandler): RequestHandler[] => [guard, run(handler)];
  const withBody = (handler: AuthedHandler): RequestHandler[] => [guard, body, run(handler)];
  const batchBody = json({ limit: REST_BATCH_BODY_LIMIT });

  router.post(
    '/cases',
    withBody(async (req, res, account) => {
      // The reference has no idempotency key: the same request twice makes two cases.
      const row = await services.cases.createCase(account, requireObject(req.body));
      sendOk(res, { caseId: row.id }, 201);
    }),
  );

  // Ours (SPEC §14): up to 100 cases in one request, each answered on its own; one request per 10 inputs against
  // the key's rate limit (batch-rate.policy.ts).
  router.post('/cases/batch', [
    guard,
    batchBody,
    run(async (req, res, account) => {
      const body = requireObject(req.body);
      if (Array.isArray(body.inputs) && body.inputs.length <= MAX_BATCH) {
        try {
          chargeBatch(limiter, account.keyId, body.inputs.length);
        } catch (error) {
          const retryAfter = (error as AppError).details?.retryAfterSeconds;
          if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
          throw error;
        }
      }
      const results = await services.cases.createCases(account, body.inputs, body.idempotencyKey);
      sendOk(res, { results: results.map(toRestBatchResult) });
    }),
  ]);

  router.get(
    '/cases/:id',
    authed(async (req, res, account) => {
      const row = await services.cases.requireCase(account.id, String(req.params.id));
      const attachments = await services.cases.attachments(row.id);
      const conversationThread =
        req.query.includeTranscript === 'true'
          ? renderTranscript(await services.cases.messages(row.id), row.channel)
          : undefined;
      sendOk(res, toRestCase(row, { attachments, conversationThread }));
    }),
  );

  // Ours (SPEC §11): erasure for GDPR/CCPA requests; the reference has no such route.
  router.delete(
    '/cases/:id',
    authed(async (req, res, account) => {
      const caseId = String(req.params.id);
      await services.erasure.deleteCase(account.id, caseId);
      sendOk(res, { caseId, deleted: true });
    }),
  );

  router.post(
    '/cases/:id/input',
    withBody(async (req, res, account) => {
      const input = requireObject(req.body);
      const result = await services.cases.submitInput(account, {
        caseId: String(req.params.id),
        inputRequestId: input.inputRequestId,
        providedContext: input.providedContext,
      });
      sendOk(res, result, 202);
    }),
  );

  router.get(
    '/cases/:id/attachments/:attachmentId',
    authed(async (req, res, account) => {
      const caseId = String(req.params.id);
      await services.cases.requireCase(account.id, caseId);
      const attachmentId = String(req.params.attachmentId);
      const row = await services.attachments.find(account.id, caseId, attachmentId);
      sendOk(res, toRestAttachment(row, await services.attachments.link(account.id, caseId, attachmentId)));
    }),
  );

  router.use('/cases', restErrorHandler(logger ?? createLogger(config.LOG_LEVEL)));
  return router;
}

/** Runs the handler with the account keyGuard authenticated; every failure goes to the error handler. */
function run(handler: AuthedHandler): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    handler(req, res, guardedAccount(res)).catch(next);
  };
}

function requireObject(value: unknown): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw badField('(body)', 'must be a JSON object');
}
