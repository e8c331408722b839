// Writes a case's webhook event in the transition's own transaction: the delivery rows (with the body, built from
// the state being committed) and the jobs that make their first attempts. No event without its state change, and no
// state change without its event. One event goes to the case's own clientWebhookUrl (the seed's three event types
// only) and to every endpoint of the account subscribed to its type, each as a delivery of its own with the same
// body and webhook-id.
import { randomUUID } from 'node:crypto';
import { CASE_URL_EVENT_TYPES, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../../domain/case-event.types';
import { enqueueWebhookJob } from '../../jobs/job.catalog';
import type { CaseEntity } from '../../persistence/entities';
import type { Tx } from '../../persistence/transaction.types';
import { insertDelivery } from '../../persistence/webhook-deliveries.repository';
import { endpointsFor } from '../../persistence/webhook-endpoints.repository';
import { buildWebhookEnvelope } from '../../webhooks/webhook-payload.mapper';
import type { WebhookOutbox } from '../transitions/transition.writer';
import type { ServiceContext } from '../service.context';
import { caseSnapshot } from './webhook-snapshot.mapper';

export class WebhookOutboxService implements WebhookOutbox {
  constructor(private readonly ctx: Pick<ServiceContext, 'boss'>) {}

  async enqueue(manager: Tx, row: CaseEntity, eventType: string, occurredAt: Date): Promise<void> {
    if (!isWebhookEventType(eventType)) throw new Error(`eventType: unknown webhook event ${eventType}`);
    const targets: Array<{ url: string; endpointId: string | null }> = [];
    if (row.clientWebhookUrl && CASE_URL_EVENT_TYPES.includes(eventType))
      targets.push({ url: row.clientWebhookUrl, endpointId: null });
    for (const endpoint of await endpointsFor(manager, row.accountId, eventType))
      targets.push({ url: endpoint.url, endpointId: endpoint.id });
    if (!targets.length) return;
    const envelope = buildWebhookEnvelope(eventType, await caseSnapshot(manager, row));
    const payload = JSON.stringify(envelope);
    for (const target of targets) {
      const id = randomUUID();
      const inserted = await insertDelivery(manager, {
        id,
        caseId: row.id,
        accountId: row.accountId,
        eventId: envelope.event_id,
        eventType,
        url: target.url,
        payload,
        occurredAt,
        endpointId: target.endpointId,
      });
      // The same event (same case, type and updatedAt) reaches each target once, however often it is announced.
      if (inserted) await enqueueWebhookJob(this.ctx, manager, { deliveryId: id });
    }
  }
}

const isWebhookEventType = (value: string): value is WebhookEventType =>
  (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
