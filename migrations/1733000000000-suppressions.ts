import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-account suppression list: addresses Offload must never mail again for that account (a hard bounce, a
 * complaint, an unsubscribe, an SMS STOP, or the client's own say-so). Addresses are kept lower-cased, so the
 * primary key is also the lookup every send makes.
 */
export class Suppressions1733000000000 implements MigrationInterface {
  name = 'Suppressions1733000000000';

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
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS suppressions`);
  }
}
