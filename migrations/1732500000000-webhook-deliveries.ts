import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbound webhooks: one row per event to deliver (with the exact body, so every retry sends the same bytes) and one
 * row per attempt, so a client can see what happened to each delivery.
 */
export class WebhookDeliveries1732500000000 implements MigrationInterface {
  name = 'WebhookDeliveries1732500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        account_id uuid NOT NULL,
        event_id text NOT NULL,
        event_type text NOT NULL,
        url text NOT NULL,
        payload text NOT NULL,
        status text NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
        attempt_count int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        UNIQUE (case_id, event_id)
      )`);
    await q.query(`CREATE INDEX webhook_deliveries_case_idx ON webhook_deliveries (case_id, created_at)`);
    await q.query(`
      CREATE TABLE webhook_delivery_attempts (
        id uuid PRIMARY KEY,
        delivery_id uuid NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
        attempt_number int NOT NULL,
        attempted_at timestamptz NOT NULL,
        duration_ms int NOT NULL,
        ok boolean NOT NULL,
        status_code int,
        error_code text,
        error_message text,
        response_snippet text,
        retry_after_ms bigint,
        next_attempt_at timestamptz,
        UNIQUE (delivery_id, attempt_number)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS webhook_delivery_attempts`);
    await q.query(`DROP TABLE IF EXISTS webhook_deliveries`);
  }
}
