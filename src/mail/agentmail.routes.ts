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

/** A received message's text and HTML; attachments stay at AgentMail. */
export const AGENTMAIL_BODY_LIMIT = 5 * 1024 * 1024;
/** Svix's own tolerance for a delivery's timestamp. */
const TIMESTAMP_TOLERANCE_S = 5 * 60;

/** Why the Svix headers cannot belong to a genuine delivery, or null when they might. */
export function svixHeadersRefusal(headers: Record<string, unknown>, nowMs: number): string | null {
  const id = headers['svix-id'] ?? headers['webhook-id'];
  const timestamp = headers['svix-timestamp'] ?? headers['webhook-timestamp'];
  const signature = headers['svix-signature'] ?? headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string')
    return 'missing svix-id, svix-timestamp or svix-signature';
  const seconds = Number(timestamp);
  if (!Number.isFinite(seconds) || Math.abs(nowMs / 1000 - seconds) > TIMESTAMP_TOLERANCE_S)
    return 'svix-timestamp is not within five minutes of now';
  return null;
}

/** Mount before any global JSON body parser: the signature is checked against the raw bytes. */
export function agentmailWebhookRouter(options: AgentmailWebhookRouterOptions): Router {
  const logger = options.logger ?? silentLogger;
  // Built once so that a malformed secret stops start-up instead of failing every delivery.
  const verifier = new Webhook(options.secret);
  const router = Router();
  router.post(
    '/',
    // Nothing is read from a request that cannot be a Svix delivery: the body is verified only once it is read.
    (req: Request, res: Response, next: NextFunction) => {
      const refused = svixHeadersRefusal(req.headers, Date.now());
      if (!refused) return next();
      // Node would otherwise read (and discard) the rest of the body: it closes the connection instead once the
      // response is written.
      if (!req.complete) res.setHeader('Connection', 'close');
      sendError(res, 401, 'WEBHOOK_SIGNATURE_INVALID', refused);
    },
    express.raw({ type: () => true, limit: options.maxBodyBytes ?? AGENTMAIL_BODY_LIMIT }),
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
