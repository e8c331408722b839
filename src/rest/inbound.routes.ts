// POST /webhooks/local: the local transport's inbound door, for demos and tests (a reply as JSON, authenticated
// with the case's account key), and GET /attachments/...: signed downloads of attachment bytes we keep.
import { Router, json } from 'express';
import { z } from 'zod';
import type { Config } from '../config/env.config';
import { AppError } from '../domain/app.errors';
import { REST_ERRORS, sendError } from './rest.errors';
import { caseAddress, caseIdFromAddress } from '../mail/case-address.mapper';
import { isAutoReplyHeaders } from '../mail/auto-reply-headers.parser';
import { authenticateRequest } from '../services/accounts/request-auth.service';
import { parseInput } from '../services/cases/case-input.schema';
import type { Services } from '../services/service.registry';

const localInbound = z.object({
  caseId: z.uuid().optional(),
  to: z.email().optional(),
  from: z.email(),
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

export function inboundRoutes({ services, config }: { services: Services; config: Config }): Router {
  const router = Router();

  router.post('/webhooks/local', json({ limit: '30mb' }), async (req, res) => {
    try {
      const account = await authenticateRequest(services.accounts, req.headers);
      const body = parseInput(localInbound, req.body);
      const caseId = body.caseId ?? (body.to ? caseIdFromAddress(body.to, config.MAIL_DOMAIN) : null);
      const row = caseId ? await services.cases.getCase(account.id, caseId) : null;
      if (!row) throw new AppError('CASE_NOT_FOUND', "No such case: give caseId or the case's reply address as to");
      const messageId = await services.inbound.store(row, {
        recipients: [body.to ?? caseAddress(row.id, config.MAIL_DOMAIN)],
        from: { address: body.from, name: body.fromName ?? null },
        subject: body.subject ?? null,
        text: body.text,
        newText: body.text,
        messageId: body.messageId ?? null,
        inReplyTo: body.inReplyTo ?? null,
        references: [],
        autoReply: isAutoReplyHeaders(body.headers),
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

  router.get('/attachments/:caseId/:attachmentId', async (req, res) => {
    const { caseId, attachmentId } = req.params;
    const expires = String(req.query.expires ?? '');
    const sig = String(req.query.sig ?? '');
    const found = await services.attachments.download(caseId, attachmentId, expires, sig);
    if (!found) {
      sendError(res, 403, 'FORBIDDEN', 'Link invalid or expired');
      return;
    }
    res.setHeader('Content-Type', found.row.contentType ?? 'application/octet-stream');
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
