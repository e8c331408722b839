// Writes a case's webhook event in the transition's own transaction: the delivery row (with the body, built from the
// state being committed) and the job that makes its first attempt. No event without its state change, and no
// state change without its event.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { bossDb } from '../../jobs/boss';
import { QUEUES } from '../../jobs/job.catalog';
import type { CaseEntity } from '../../persistence/entities';
import { buildWebhookEnvelope, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../../webhooks/webhook.payload';
import type { WebhookOutbox } from '../transitions/transition.writer';
import type { ServiceContext } from '../service.context';
import { caseSnapshot } from './webhook-snapshot.mapper';

export class WebhookOutboxService implements WebhookOutbox {
  constructor(private readonly ctx: Pick<ServiceContext, 'boss'>) {}

  async enqueue(manager: EntityManager, row: CaseEntity, eventType: string, occurredAt: Date): Promise<void> {
    if (!row.clientWebhookUrl) return;
    if (!isWebhookEventType(eventType)) throw new Error(`eventType: unknown webhook event ${eventType}`);
    const envelope = buildWebhookEnvelope(eventType, await caseSnapshot(manager, row));
    const id = randomUUID();
    const inserted: unknown[] = await manager.query(
      `INSERT INTO webhook_deliveries
         (id, case_id, account_id, event_id, event_type, url, payload, status, next_attempt_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'PENDING', $8, $8, $8)
       ON CONFLICT (case_id, event_id) DO NOTHING RETURNING id`,
      [
        id,
        row.id,
        row.accountId,
        envelope.event_id,
        eventType,
        row.clientWebhookUrl,
        JSON.stringify(envelope),
        occurredAt,
      ],
    );
    // The same event (same case, type and updatedAt) is delivered once, however often it is announced.
    if (!inserted.length) return;
    await this.ctx.boss.send(QUEUES.webhooks.name, { deliveryId: id }, { db: bossDb(manager) });
  }
}

const isWebhookEventType = (value: string): value is WebhookEventType =>
  (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
