// Every read and write of `webhook_endpoints`: the URLs an account has every case's events (of the types it chose)
// sent to.
import type { Tx } from './transaction.types';

export interface WebhookEndpointRow {
  id: string;
  url: string;
  eventTypes: string[];
  createdAt: Date;
}

export async function insertEndpoint(db: Tx, accountId: string, e: WebhookEndpointRow): Promise<void> {
  await db.query(
    `INSERT INTO webhook_endpoints (id, account_id, url, event_types, created_at) VALUES ($1, $2, $3, $4, $5)`,
    [e.id, accountId, e.url, e.eventTypes, e.createdAt],
  );
}

/** Deletes the endpoint and gives up its pending deliveries; false when the account has no such endpoint. */
export async function deleteEndpoint(db: Tx, accountId: string, id: string): Promise<boolean> {
  await db.query(
    `UPDATE webhook_deliveries SET status = 'FAILED', next_attempt_at = NULL
      WHERE endpoint_id = $1 AND account_id = $2 AND status = 'PENDING'`,
    [id, accountId],
  );
  const [rows]: [unknown[], number] = await db.query(
    `DELETE FROM webhook_endpoints WHERE id = $1 AND account_id = $2 RETURNING id`,
    [id, accountId],
  );
  return rows.length > 0;
}

const COLUMNS = `id, url, event_types AS "eventTypes", created_at AS "createdAt"`;

export async function endpointsOf(db: Tx, accountId: string): Promise<WebhookEndpointRow[]> {
  return db.query(`SELECT ${COLUMNS} FROM webhook_endpoints WHERE account_id = $1 ORDER BY created_at, id`, [
    accountId,
  ]);
}

/** The account's endpoints subscribed to `eventType`. */
export async function endpointsFor(db: Tx, accountId: string, eventType: string): Promise<WebhookEndpointRow[]> {
  return db.query(
    `SELECT ${COLUMNS} FROM webhook_endpoints WHERE account_id = $1 AND $2 = ANY(event_types) ORDER BY created_at, id`,
    [accountId, eventType],
  );
}
