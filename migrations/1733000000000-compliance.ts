import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SPEC §11 in one migration.
 *
 * The per-account suppression list: addresses Offload must never mail again for that account (a hard bounce, a
 * complaint, an unsubscribe, an SMS STOP, or the client's own say-so). Addresses are kept lower-cased, so the
 * primary key is also the lookup every send makes.
 */
export class Compliance1733000000000 implements MigrationInterface {
  name = 'Compliance1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE suppressions (
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        address text NOT NULL CHECK (address = lower(address)),
        source text NOT NULL CHECK (source IN ('hard_bounce', 'complaint', 'unsubscribe', 'sms_stop', 'manual')),
        reason text,
        case_id uuid,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (account_id, address)
      )`);
    await q.query(`CREATE INDEX suppressions_page_idx ON suppressions (account_id, created_at DESC, address DESC)`);
    await this.webhookEndpoints(q);
    await this.erasure(q);
  }

  /**
   * deleteCase deletes the case row (its messages, attachments, timeline, deliveries and keys go with it by cascade)
   * and keeps this tombstone: what usage and audits need, and no personal data. Usage counters live in
   * account_usage already, so erasing a case never changes what a month counted.
   */
  private async erasure(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE erased_cases (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        channel text NOT NULL,
        status text NOT NULL,
        result_status text,
        created_at timestamptz NOT NULL,
        finished_at timestamptz,
        erased_at timestamptz NOT NULL,
        erased_by text NOT NULL CHECK (erased_by IN ('client', 'retention'))
      )`);
    await q.query(`CREATE INDEX cases_retention_idx ON cases (finished_at) WHERE finished_at IS NOT NULL`);
  }

  /**
   * Account-wide webhook endpoints. One event may now go to several places (the case's own URL and every endpoint
   * subscribed to it), so a delivery is unique per (case, event, target), target being 'case' or the endpoint id.
   * final_attempt caps a redelivery at the one attempt it asked for.
   */
  private async webhookEndpoints(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        url text NOT NULL,
        event_types text[] NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX webhook_endpoints_account_idx ON webhook_endpoints (account_id, created_at)`);
    await q.query(`
      ALTER TABLE webhook_deliveries
        ADD COLUMN target text NOT NULL DEFAULT 'case',
        ADD COLUMN endpoint_id uuid REFERENCES webhook_endpoints(id) ON DELETE SET NULL,
        ADD COLUMN final_attempt int,
        DROP CONSTRAINT webhook_deliveries_case_id_event_id_key,
        ADD CONSTRAINT webhook_deliveries_case_event_target_key UNIQUE (case_id, event_id, target)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS cases_retention_idx`);
    await q.query(`DROP TABLE IF EXISTS erased_cases`);
    await q.query(`DELETE FROM webhook_deliveries WHERE target <> 'case'`);
    await q.query(`
      ALTER TABLE webhook_deliveries
        DROP CONSTRAINT webhook_deliveries_case_event_target_key,
        ADD CONSTRAINT webhook_deliveries_case_id_event_id_key UNIQUE (case_id, event_id),
        DROP COLUMN final_attempt,
        DROP COLUMN endpoint_id,
        DROP COLUMN target`);
    await q.query(`DROP TABLE IF EXISTS webhook_endpoints`);
    await q.query(`DROP TABLE IF EXISTS suppressions`);
  }
}
