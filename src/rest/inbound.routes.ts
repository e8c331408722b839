// POST /webhooks/local: the local transport's inbound door, for demos and tests (a reply as JSON, authenticated
// with the case's account key), and GET /attachments/...: signed downloads of attachment bytes we keep.
import { Router, json } from 'express';
import { z } from 'zod';
import { smsSender, type Config } from '../config/env.config';
import { randomUUID } from 'node:crypto';
import { AppError, badField } from '../domain/app.errors';
import { REST_ERRORS, restRefusal, sendError } from './rest.errors';
import { caseAddress, caseIdFromAddress } from '../mail/case-address.mapper';
import { detectAutoReply } from '../mail/auto-reply.parser';
import { safeContentType } from '../mail/content-type.policy';
import type { KeyRateLimit } from '../services/accounts/key-rate.types';
import { parseInput } from '../services/cases/case-input.schema';
import type { Services } from '../services/service.registry';
import { guardedAccount, keyGuard } from './key.guard';

/** 1 MB of text and 20 attachments, base64: what the local route's schema allows, with room for JSON quoting. */
export const LOCAL_INBOUND_BODY_LIMIT = '12mb';

const localInbound = z.object({
  caseId: z.uuid().optional(),
  to: z.email().optional(),
  // An SMS case's counterparty texts from an E.164 number.
  from: z.union([z.email(), z.string().regex(/^\+[1-9]\d{1,14}$/)], 'must be an email address or an E.164 number'),
  fromName: z.string().max(200).optional(),
  subject: z.string().max(1000).optional(),
  text: z.string().max(1_000_000),
  messageId: z.string().max(1000).optional(),
  inReplyTo: z.string().max(1000).optional(),
  /** Headers that matter to how the mail is handled (Auto-Submitted, X-Autoreply, Precedence ...). */
  headers: z.record(z.string().max(100), z.string().max(1000)).optional(),
  attachments: z
    .array(
      z.object({
        name: z.string().max(255),
        contentType: z.string().max(255).optional(),
        contentBase64: z.base64(),
      }),
    )
    .max(20)
    .default([]),
});

export interface InboundRouteOptions {
  services: Services;
  config: Config;
  limiter: KeyRateLimit;
}

export function inboundRoutes({ services, config, limiter }: InboundRouteOptions): Router {
  const router = Router();
  // The local transport's door only exists with the local transport: with SMTP or AgentMail, mail arrives there.
  if (config.MAIL_TRANSPORT === 'local' || config.SMS_TRANSPORT === 'local')
    router.use(localInboundRoute(services, config, limiter));
  router.use(attachmentDownloadRoute(services));
  return router;
}

function localInboundRoute(services: Services, config: Config, limiter: KeyRateLimit): Router {
  const router = Router();
  const guard = keyGuard(services.accounts, limiter, restRefusal);
  router.post('/webhooks/local', guard, json({ limit: LOCAL_INBOUND_BODY_LIMIT }), async (req, res) => {
    try {
      const account = guardedAccount(res);
      const body = parseInput(localInbound, req.body);
      const caseId = body.caseId ?? (body.to ? caseIdFromAddress(body.to, config.MAIL_DOMAIN) : null);
      const row = caseId ? await services.cases.getCase(account.id, caseId) : null;
      if (!row) throw new AppError('CASE_NOT_FOUND', "No such case: give caseId or the case's reply address as to");
      const local = row.channel === 'SMS' ? config.SMS_TRANSPORT : config.MAIL_TRANSPORT;
      if (local !== 'local')
        throw badField('caseId', `the case's channel (${row.channel}) does not use a local transport`);
      if (row.channel === 'SMS') {
        // A text, matched by number as Twilio's would be (STOP and START included); only the case's own number,
        // or a key could drop texts into another account's conversation with that number.
        if (body.from !== row.counterparty.address)
          throw badField('from', "must be the SMS case's counterparty number");
        const messageId = body.messageId ?? randomUUID();
        const outcome = await services.sms.receiveText({
          providerMessageId: messageId,
          from: body.from,
          to: smsSender(config),
          body: body.text,
        });
        res
          .status(202)
          .json({ ok: true, data: { caseId: row.id, messageId, outcome, duplicate: outcome === 'duplicate' } });
        return;
      }
      const messageId = await services.inbound.store(row, {
        recipients: [body.to ?? caseAddress(row.id, config.MAIL_DOMAIN)],
        from: { address: body.from, name: body.fromName ?? null },
        subject: body.subject ?? null,
        text: body.text,
        newText: body.text,
        messageId: body.messageId ?? null,
        inReplyTo: body.inReplyTo ?? null,
        references: [],
        autoReply: localAutoReply(body.headers, body.subject),
        attachments: body.attachments.map((a) => {
          const content = Buffer.from(a.contentBase64, 'base64');
          return { name: a.name, contentType: a.contentType ?? null, size: content.length, content };
        }),
        receivedAt: new Date(),
      });
      res.status(202).json({ ok: true, data: { caseId: row.id, messageId, duplicate: messageId === null } });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // The same statuses as the REST routes; the body keeps our own codes, since this route is ours, not the reference's.
      sendError(res, REST_ERRORS[error.code].status, error.code, error.message, error.details);
    }
  });
  return router;
}

function attachmentDownloadRoute(services: Services): Router {
  const router = Router();
  router.get('/attachments/:caseId/:attachmentId', async (req, res) => {
    const { caseId, attachmentId } = req.params;
    const expires = String(req.query.expires ?? '');
    const sig = String(req.query.sig ?? '');
    const found = await services.attachments.download(caseId, attachmentId, expires, sig);
    if (!found) {
      sendError(res, 403, 'FORBIDDEN', 'Link invalid or expired');
      return;
    }
    // Types stored before they were sanitised on the way in may hold bytes a header cannot carry.
    res.setHeader('Content-Type', safeContentType(found.row.contentType) ?? 'application/octet-stream');
    res.setHeader('Content-Length', String(found.content.length));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // The bytes and their type come from the counterparty: never let a browser run them on our origin.
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.setHeader('Cache-Control', 'private, no-store');
    res.attachment(found.row.name ?? 'attachment');
    res.end(found.content);
  });

  return router;
}

/** The local door takes headers as a plain record; the same parser as for SMTP and AgentMail reads them. */
function localAutoReply(headers: Record<string, string> | undefined, subject: string | undefined) {
  const lower = new Map(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const verdict = detectAutoReply((name) => lower.get(name), subject);
  return verdict.autoReply ? { signal: verdict.signal ?? 'unknown' } : null;
}
