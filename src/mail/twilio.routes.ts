// POST /webhooks/twilio (a text to our number) and POST /webhooks/twilio/status (a message's status callback).
// Twilio signs each request: X-Twilio-Signature is an HMAC-SHA1, keyed with the auth token, over the URL it called
// and the sorted form parameters. We check it with the SDK's validator against PUBLIC_URL + the path, so a request
// that did not come from Twilio (or was altered on the way) is refused with 403 before anything is read from it.
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { twilioSdk } from './twilio-sdk.client';
import { describeError, silentLogger, type MailLogger } from './mail-logger.types';

/** A text someone sent to our number. */
export interface InboundText {
  messageSid: string;
  from: string;
  to: string;
  body: string;
}

/** One status callback of a message we sent. */
export interface SmsStatus {
  messageSid: string;
  status: string;
  errorCode: number | null;
  errorMessage: string | null;
}

export interface TwilioWebhookOptions {
  authToken: string;
  /** PUBLIC_URL without a trailing slash: the origin Twilio was told to call. */
  publicUrl: string;
  /** Each must be idempotent per MessageSid (and status): Twilio may deliver a request more than once. */
  onText: (text: InboundText) => Promise<void>;
  onStatus: (status: SmsStatus) => Promise<void>;
  logger?: MailLogger;
}

/** A text is at most 1,600 characters; the rest of the form is a few dozen short fields. */
const FORM_LIMIT = '64kb';

const sid = z.string().regex(/^[A-Z]{2}[0-9a-f]{32}$/i, 'a Twilio message SID');
const textForm = z.object({
  MessageSid: sid,
  From: z.string().min(1).max(64),
  To: z.string().min(1).max(64),
  Body: z.string().max(10_000).default(''),
});
const statusForm = z.object({
  MessageSid: sid,
  MessageStatus: z.string().min(1).max(32),
  ErrorCode: z
    .string()
    .regex(/^\d{1,6}$/)
    .transform(Number)
    .optional(),
  ErrorMessage: z.string().max(1000).optional(),
});

export function twilioWebhookRouter(options: TwilioWebhookOptions): Router {
  const logger = options.logger ?? silentLogger;
  const router = Router();
  // Nothing is read from a request that carries no signature at all: it cannot be Twilio's.
  const unsigned = (req: Request, res: Response, next: NextFunction) => {
    if (req.header('x-twilio-signature')) return next();
    if (!req.complete) res.setHeader('Connection', 'close');
    logger.warn({ path: req.originalUrl }, 'twilio webhook refused: no X-Twilio-Signature');
    refuse(res, 403, 'X-Twilio-Signature is missing');
  };
  const parse = express.urlencoded({ extended: false, limit: FORM_LIMIT, parameterLimit: 200 });
  const signed = verifySignature(options, logger);
  router.post('/webhooks/twilio', unsigned, parse, signed, async (req, res) => {
    const parsed = textForm.safeParse(req.body);
    if (!parsed.success) return refuse(res, 400, `invalid inbound text: ${parsed.error.issues[0]?.path.join('.')}`);
    const { MessageSid, From, To, Body } = parsed.data;
    if (
      !(await handled(res, logger, MessageSid, () =>
        options.onText({ messageSid: MessageSid, from: From, to: To, body: Body }),
      ))
    )
      return;
    // Empty TwiML: no automatic answer (the case's agent answers, if anything, through the API).
    res.status(200).type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
  });
  router.post('/webhooks/twilio/status', unsigned, parse, signed, async (req, res) => {
    const parsed = statusForm.safeParse(req.body);
    if (!parsed.success) return refuse(res, 400, `invalid status callback: ${parsed.error.issues[0]?.path.join('.')}`);
    const { MessageSid, MessageStatus, ErrorCode, ErrorMessage } = parsed.data;
    const status: SmsStatus = {
      messageSid: MessageSid,
      status: MessageStatus.toLowerCase(),
      errorCode: ErrorCode ?? null,
      errorMessage: ErrorMessage ?? null,
    };
    if (!(await handled(res, logger, MessageSid, () => options.onStatus(status)))) return;
    res.status(204).end();
  });
  return router;
}

function verifySignature(options: TwilioWebhookOptions, logger: MailLogger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const signature = req.header('x-twilio-signature');
    const url = options.publicUrl + req.originalUrl;
    const params = (req.body ?? {}) as Record<string, unknown>;
    if (signature && twilioSdk().validateRequest(options.authToken, signature, url, params)) return next();
    logger.warn({ url, signed: Boolean(signature) }, 'twilio webhook refused: signature invalid');
    refuse(res, 403, 'X-Twilio-Signature is missing or does not match this request');
  };
}

/** Runs the handler; a failure of ours is a 500 (Twilio logs it, and retries where the number is set to). */
async function handled(res: Response, logger: MailLogger, messageSid: string, work: () => Promise<void>) {
  try {
    await work();
    return true;
  } catch (error) {
    logger.error({ ...describeError(error), messageSid }, 'twilio webhook: handling failed');
    refuse(res, 500, 'the request could not be processed, retry later');
    return false;
  }
}

function refuse(res: Response, status: number, message: string): void {
  res.status(status).type('text/plain').send(message);
}
