import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 20. `rate_limit_hits`: requests per API key per minute, summed over every API process, so one key has one
 * budget whichever face and process it uses. `messages.sender_verified` / `auth_results` / `auto_reply`: whether an
 * inbound message came from the case's counterparty (only such mail drives a case), the SPF/DKIM/DMARC verdict
 * behind that, and whether it was an auto-reply (never answered).
 */
export class SecurityHardening1732800000000 implements MigrationInterface {
  name = 'SecurityHardening1732800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE UNLOGGED TABLE rate_limit_hits (
        key text NOT NULL,
        window_start timestamptz NOT NULL,
        hits integer NOT NULL,
        PRIMARY KEY (key, window_start)
      )`);
    await q.query(`ALTER TABLE messages ADD COLUMN sender_verified boolean`);
    await q.query(`ALTER TABLE messages ADD COLUMN auth_results jsonb`);
    await q.query(`ALTER TABLE messages ADD COLUMN IF NOT EXISTS auto_reply boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE messages DROP COLUMN IF EXISTS auto_reply`);
    await q.query(`ALTER TABLE messages DROP COLUMN IF EXISTS auth_results`);
    await q.query(`ALTER TABLE messages DROP COLUMN IF EXISTS sender_verified`);
    await q.query(`DROP TABLE IF EXISTS rate_limit_hits`);
  }
}
