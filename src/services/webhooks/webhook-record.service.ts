// What happened to a case's webhooks, for clients: every delivery and every attempt, scoped to the caller's account;
// and redelivery, one more attempt of a finished delivery with the same webhook-id and body.
import { AppError, badField } from '../../domain/app.errors';
import { enqueueWebhookJob, type JobQueue } from '../../jobs/job.catalog';
import type { Database } from '../../persistence/transaction.types';
import {
  attemptsOf,
  deliveriesOfCase,
  findDelivery,
  reopenForRedelivery,
  type WebhookAttemptRow,
  type WebhookDeliveryRow,
} from '../../persistence/webhook-deliveries.repository';

export type { WebhookDeliveryStatus } from '../../persistence/webhook-deliveries.repository';

export interface WebhookDeliveryRecord extends WebhookDeliveryRow {
  attempts: WebhookAttemptRow[];
}

export class WebhookRecords {
  constructor(
    private readonly db: Database,
    private readonly ctx: { boss: JobQueue; clock: () => Date },
  ) {}

  /**
   * Queues one new attempt now of a DELIVERED or FAILED delivery of the account: same webhook-id, same body, signed
   * with the account's current secret; it schedules no retry of its own. Another account's delivery answers like a
   * missing one.
   */
  async redeliver(accountId: string, deliveryId: string): Promise<WebhookDeliveryRecord> {
    const notFound = new AppError('WEBHOOK_DELIVERY_NOT_FOUND', 'Webhook delivery not found');
    if (!UUID.test(deliveryId)) throw notFound;
    await this.db.transaction(async (manager) => {
      if (await reopenForRedelivery(manager, accountId, deliveryId, this.ctx.clock()))
        return enqueueWebhookJob(this.ctx, manager, { deliveryId });
      const found = await findDelivery(manager, accountId, deliveryId);
      if (!found) throw notFound;
      throw badField('deliveryId', 'the delivery is still pending: its next attempt is already scheduled');
    });
    return (await this.one(accountId, deliveryId))!;
  }

  private async one(accountId: string, deliveryId: string): Promise<WebhookDeliveryRecord | null> {
    const delivery = await findDelivery(this.db.manager, accountId, deliveryId);
    if (!delivery) return null;
    const attempts = await attemptsOf(this.db.manager, [delivery.id]);
    return { ...delivery, attempts: attempts.map(({ deliveryId: _id, ...a }) => a) };
  }

  async forCase(accountId: string, caseId: string): Promise<WebhookDeliveryRecord[]> {
    const deliveries = await deliveriesOfCase(this.db.manager, accountId, caseId);
    if (!deliveries.length) return [];
    const attempts = await attemptsOf(
      this.db.manager,
      deliveries.map((d) => d.id),
    );
    return deliveries.map((d) => ({
      ...d,
      attempts: attempts.filter((a) => a.deliveryId === d.id).map(({ deliveryId: _id, ...a }) => a),
    }));
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
