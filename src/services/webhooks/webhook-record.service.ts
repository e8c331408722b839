// What happened to a case's webhooks, for clients: every delivery and every attempt, scoped to the caller's account.
import type { DataSource } from 'typeorm';
import type { WebhookDeliveryStatus } from './webhook-delivery.service';

export interface WebhookAttemptRecord {
  attemptNumber: number;
  attemptedAt: Date;
  durationMs: number;
  ok: boolean;
  statusCode: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  responseSnippet: string | null;
  nextAttemptAt: Date | null;
}

export interface WebhookDeliveryRecord {
  id: string;
  caseId: string;
  eventId: string;
  eventType: string;
  url: string;
  payload: string;
  status: WebhookDeliveryStatus;
  attemptCount: number;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
  attempts: WebhookAttemptRecord[];
}

export class WebhookRecords {
  constructor(private readonly db: DataSource) {}

  async forCase(accountId: string, caseId: string): Promise<WebhookDeliveryRecord[]> {
    const deliveries: Array<Omit<WebhookDeliveryRecord, 'attempts'>> = await this.db.query(
      `SELECT id, case_id AS "caseId", event_id AS "eventId", event_type AS "eventType", url, payload, status,
              attempt_count AS "attemptCount", next_attempt_at AS "nextAttemptAt", delivered_at AS "deliveredAt",
              created_at AS "createdAt"
         FROM webhook_deliveries WHERE account_id = $1 AND case_id = $2 ORDER BY created_at, id`,
      [accountId, caseId],
    );
    if (!deliveries.length) return [];
    const attempts: Array<WebhookAttemptRecord & { deliveryId: string }> = await this.db.query(
      `SELECT delivery_id AS "deliveryId", attempt_number AS "attemptNumber", attempted_at AS "attemptedAt",
              duration_ms AS "durationMs", ok, status_code AS "statusCode", error_code AS "errorCode",
              error_message AS "errorMessage", response_snippet AS "responseSnippet",
              next_attempt_at AS "nextAttemptAt"
         FROM webhook_delivery_attempts WHERE delivery_id = ANY($1::uuid[]) ORDER BY attempt_number`,
      [deliveries.map((d) => d.id)],
    );
    return deliveries.map((d) => ({
      ...d,
      attempts: attempts.filter((a) => a.deliveryId === d.id).map(({ deliveryId: _id, ...a }) => a),
    }));
  }
}
