// Every read and write of `webhook_deliveries` and of its attempts, `webhook_delivery_attempts`: the outbox a case's
// webhook events are written to, and what each delivery attempt found.
import type { Tx } from './transaction.types';

/** The values the table's CHECK constraint allows. */
export type WebhookDeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

export interface NewWebhookDelivery {
  id: string;
  caseId: string;
  accountId: string;
  eventId: string;
  eventType: string;
  url: string;
  payload: string;
  occurredAt: Date;
}

/** Writes a pending delivery; false when the case already has this event (one delivery per event). */
export async function insertDelivery(manager: Tx, d: NewWebhookDelivery): Promise<boolean> {
  const inserted: unknown[] = await manager.query(
    `INSERT INTO webhook_deliveries
       (id, case_id, account_id, event_id, event_type, url, payload, status, next_attempt_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'PENDING', $8, $8, $8)
     ON CONFLICT (case_id, event_id) DO NOTHING RETURNING id`,
    [d.id, d.caseId, d.accountId, d.eventId, d.eventType, d.url, d.payload, d.occurredAt],
  );
  return inserted.length > 0;
}

/** A delivery as its next attempt needs it, with the account's current signing secret. */
export interface DeliveryToAttempt {
  id: string;
  case_id: string;
  event_id: string;
  url: string;
  payload: string;
  status: WebhookDeliveryStatus;
  attempt_count: number;
  next_attempt_at: Date | null;
  webhook_secret: string;
}

export async function findDeliveryToAttempt(db: Tx, id: string): Promise<DeliveryToAttempt | null> {
  const rows: DeliveryToAttempt[] = await db.query(
    `SELECT d.id, d.case_id, d.event_id, d.url, d.payload, d.status, d.attempt_count, d.next_attempt_at,
            a.webhook_secret
       FROM webhook_deliveries d JOIN accounts a ON a.id = d.account_id
      WHERE d.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

export interface DeliveryOutcome {
  /** The attempt count the caller read; the update applies only if no one has recorded this attempt since. */
  attemptCountRead: number;
  attemptNumber: number;
  status: WebhookDeliveryStatus;
  nextAttemptAt: Date | null;
  now: Date;
}

/** Records an attempt's outcome on the delivery; false when another worker recorded this attempt number first. */
export async function recordOutcome(manager: Tx, id: string, o: DeliveryOutcome): Promise<boolean> {
  const claimed: unknown[] = await manager.query(
    `UPDATE webhook_deliveries
        SET attempt_count = $3, status = $4, next_attempt_at = $5, updated_at = $6,
            delivered_at = CASE WHEN $4 = 'DELIVERED' THEN $6 ELSE delivered_at END
      WHERE id = $1 AND attempt_count = $2 RETURNING id`,
    [id, o.attemptCountRead, o.attemptNumber, o.status, o.nextAttemptAt, o.now],
  );
  return claimed.length > 0;
}

/** One delivery's row as clients read it. */
export interface WebhookDeliveryRow {
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
}

/** The case's deliveries, oldest first; another account's case has none. */
export async function deliveriesOfCase(db: Tx, accountId: string, caseId: string): Promise<WebhookDeliveryRow[]> {
  return db.query(
    `SELECT id, case_id AS "caseId", event_id AS "eventId", event_type AS "eventType", url, payload, status,
            attempt_count AS "attemptCount", next_attempt_at AS "nextAttemptAt", delivered_at AS "deliveredAt",
            created_at AS "createdAt"
       FROM webhook_deliveries WHERE account_id = $1 AND case_id = $2 ORDER BY created_at, id`,
    [accountId, caseId],
  );
}

/** One attempt as clients read it. */
export interface WebhookAttemptRow {
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

export interface NewWebhookAttempt extends WebhookAttemptRow {
  id: string;
  deliveryId: string;
  retryAfterMs: number | null;
}

export async function insertAttempt(manager: Tx, a: NewWebhookAttempt): Promise<void> {
  await manager.query(
    `INSERT INTO webhook_delivery_attempts (id, delivery_id, attempt_number, attempted_at, duration_ms, ok,
       status_code, error_code, error_message, response_snippet, retry_after_ms, next_attempt_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [
      a.id,
      a.deliveryId,
      a.attemptNumber,
      a.attemptedAt,
      a.durationMs,
      a.ok,
      a.statusCode,
      a.errorCode,
      a.errorMessage,
      a.responseSnippet,
      a.retryAfterMs,
      a.nextAttemptAt,
    ],
  );
}

/** The attempts of these deliveries, in attempt order. */
export async function attemptsOf(
  db: Tx,
  deliveryIds: string[],
): Promise<Array<WebhookAttemptRow & { deliveryId: string }>> {
  return db.query(
    `SELECT delivery_id AS "deliveryId", attempt_number AS "attemptNumber", attempted_at AS "attemptedAt",
            duration_ms AS "durationMs", ok, status_code AS "statusCode", error_code AS "errorCode",
            error_message AS "errorMessage", response_snippet AS "responseSnippet",
            next_attempt_at AS "nextAttemptAt"
       FROM webhook_delivery_attempts WHERE delivery_id = ANY($1::uuid[]) ORDER BY attempt_number`,
    [deliveryIds],
  );
}
