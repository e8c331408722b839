// POST /webhooks/agentmail. Status codes steer Svix's retries: 2xx only once the event is safely handled, 5xx when
// our side failed (Svix retries with backoff), 4xx for requests that will never become valid (no retry helps).
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { Webhook } from 'svix';
import { AgentmailWebhookError, parseAgentmailWebhook, type AgentmailEvent } from './agentmail-webhook.guard';
import { describeError, silentLogger, type MailLogger } from './mail-logger.types';

export interface AgentmailWebhookRouterOptions {
  /** AGENTMAIL_WEBHOOK_SECRET (whsec_...). */
  secret: string;
  /** Must be idempotent per eventId: Svix delivers at least once. */
  onEvent: (event: AgentmailEvent) => Promise<void>;
  logger?: MailLogger;
  /** Bodies carry the full text and HTML of a message (attachments stay at AgentMail). */
  maxBodyBytes?: number;
}

/** Mount before any global JSON body parser: the signature is checked against the raw bytes. */
export function agentmailWebhookRouter(options: AgentmailWebhookRouterOptions): Router {
  const logger = options.logger ?? silentLogger;
  // Built once so that a malformed secret stops start-up instead of failing every delivery.
  const verifier = new Webhook(options.secret);
  const router = Router();
  router.post(
    '/',
    express.raw({ type: () => true, limit: options.maxBodyBytes ?? 10 * 1024 * 1024 }),
    async (req: Request, res: Response) => {
      await handle(req, res, verifier, options.onEvent, logger);
    },
  );
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (res.headersSent || !status || status >= 500) return next(err);
    sendError(res, status, 'WEBHOOK_PAYLOAD_INVALID', (err as Error).message);
  });
  return router;
}

async function handle(
  req: Request,
  res: Response,
  verifier: Webhook,
  onEvent: AgentmailWebhookRouterOptions['onEvent'],
  logger: MailLogger,
): Promise<void> {
  if (!Buffer.isBuffer(req.body)) {
    logger.error({}, 'agentmail webhook: raw body unavailable; mount the router before express.json()');
    return sendError(res, 500, 'INTERNAL_ERROR', 'webhook body could not be read');
  }
  let event: AgentmailEvent;
  try {
    event = await parseAgentmailWebhook(req.body, req.headers, verifier);
  } catch (err) {
    if (!(err instanceof AgentmailWebhookError)) throw err;
    logger.warn({ code: err.code, reason: err.message }, 'agentmail webhook refused');
    return sendError(res, err.httpStatus, err.code, err.message);
  }
  try {
    await onEvent(event);
  } catch (err) {
    logger.error({ ...describeError(err), eventId: event.eventId }, 'agentmail webhook: handling failed');
    return sendError(res, 500, 'INTERNAL_ERROR', 'event could not be processed, retry later');
  }
  res.status(200).json({ ok: true, data: { eventId: event.eventId } });
}

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ ok: false, error: { code, message } });
}
