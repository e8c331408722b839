// What happened to a case's webhooks, for clients: every delivery and every attempt, scoped to the caller's account.
import type { Database } from '../../persistence/transaction.types';
import {
  attemptsOf,
  deliveriesOfCase,
  type WebhookAttemptRow,
  type WebhookDeliveryRow,
} from '../../persistence/webhook-deliveries.repository';

export type { WebhookDeliveryStatus } from '../../persistence/webhook-deliveries.repository';

export interface WebhookDeliveryRecord extends WebhookDeliveryRow {
  attempts: WebhookAttemptRow[];
}

export class WebhookRecords {
  constructor(private readonly db: Database) {}

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
