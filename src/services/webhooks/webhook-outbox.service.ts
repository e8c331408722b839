// Writes a case's webhook event in the transition's own transaction: the delivery row (with the body, built from the
// state being committed) and the job that makes its first attempt. No event without its state change, and no
// state change without its event.
import { randomUUID } from 'node:crypto';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../../domain/case-event.types';
import { enqueueWebhookJob } from '../../jobs/job.catalog';
import type { CaseEntity } from '../../persistence/entities';
import type { Tx } from '../../persistence/transaction.types';
import { insertDelivery } from '../../persistence/webhook-deliveries.repository';
import { buildWebhookEnvelope } from '../../webhooks/webhook-payload.mapper';
import type { WebhookOutbox } from '../transitions/transition.writer';
import type { ServiceContext } from '../service.context';
import { caseSnapshot } from './webhook-snapshot.mapper';

export class WebhookOutboxService implements WebhookOutbox {
  constructor(private readonly ctx: Pick<ServiceContext, 'boss'>) {}

  async enqueue(manager: Tx, row: CaseEntity, eventType: string, occurredAt: Date): Promise<void> {
    if (!row.clientWebhookUrl) return;
    if (!isWebhookEventType(eventType)) throw new Error(`eventType: unknown webhook event ${eventType}`);
    const envelope = buildWebhookEnvelope(eventType, await caseSnapshot(manager, row));
    const id = randomUUID();
    const inserted = await insertDelivery(manager, {
      id,
      caseId: row.id,
      accountId: row.accountId,
      eventId: envelope.event_id,
      eventType,
      url: row.clientWebhookUrl,
      payload: JSON.stringify(envelope),
      occurredAt,
    });
    // The same event (same case, type and updatedAt) is delivered once, however often it is announced.
    if (!inserted) return;
    await enqueueWebhookJob(this.ctx, manager, { deliveryId: id });
  }
}

const isWebhookEventType = (value: string): value is WebhookEventType =>
  (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
