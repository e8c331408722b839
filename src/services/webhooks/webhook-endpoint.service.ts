// Account-wide webhook endpoints (SPEC §11): a URL and the event types it wants, for every case of the account.
// Deliveries to them use the same envelope, signing, SSRF rules, retries and attempt records as a case's own URL.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { badField } from '../../domain/app.errors';
import { WEBHOOK_EVENT_TYPES } from '../../domain/case-event.types';
import {
  deleteEndpoint,
  endpointsOf,
  insertEndpoint,
  type WebhookEndpointRow,
} from '../../persistence/webhook-endpoints.repository';
import { isUuid, parseInput, webhookUrlSchema } from '../cases/case-input.schema';
import type { ServiceContext } from '../service.context';

export type { WebhookEndpointRow };

/** Enough for any honest setup; an account is not a fan-out service. */
const MAX_ENDPOINTS = 20;

export class WebhookEndpointService {
  private readonly schema;

  constructor(private readonly ctx: Pick<ServiceContext, 'db' | 'clock' | 'config'>) {
    this.schema = z.object({
      url: webhookUrlSchema({ allowPrivateWebhooks: ctx.config.WEBHOOK_ALLOW_PRIVATE }),
      eventTypes: z
        .array(z.enum(WEBHOOK_EVENT_TYPES))
        .min(1, 'must name at least one event type')
        .max(WEBHOOK_EVENT_TYPES.length * 2)
        .transform((types) => [...new Set(types)]),
    });
  }

  async create(accountId: string, raw: unknown): Promise<WebhookEndpointRow> {
    const input = parseInput(this.schema, raw);
    return this.ctx.db.transaction(async (manager) => {
      if ((await endpointsOf(manager, accountId)).length >= MAX_ENDPOINTS)
        throw badField('url', `an account has at most ${MAX_ENDPOINTS} webhook endpoints`);
      const row = { id: randomUUID(), url: input.url, eventTypes: input.eventTypes, createdAt: this.ctx.clock() };
      await insertEndpoint(manager, accountId, row);
      return row;
    });
  }

  /** False when the account has no such endpoint (another account's answers the same). */
  async delete(accountId: string, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return this.ctx.db.transaction((manager) => deleteEndpoint(manager, accountId, id));
  }

  list(accountId: string): Promise<WebhookEndpointRow[]> {
    return endpointsOf(this.ctx.db.manager, accountId);
  }
}
