import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the agent reads and what it costs (issue 16): each attachment's extracted text and PDF fields, stored once so
 * a hostile file is parsed at most once; model calls and tokens per case (account usage sums them); and the
 * provider's label on a reply it quarantined (AgentMail spam/blocked/unauthenticated), so such a reply is kept
 * and shown rather than lost.
 */
export class AgentInputs1732600000000 implements MigrationInterface {
  name = 'AgentInputs1732600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE attachments ADD COLUMN extraction jsonb, ADD COLUMN extracted_at timestamptz`);
    await q.query(`
      ALTER TABLE cases
        ADD COLUMN model_calls int NOT NULL DEFAULT 0,
        ADD COLUMN model_prompt_tokens bigint NOT NULL DEFAULT 0,
        ADD COLUMN model_completion_tokens bigint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE messages ADD COLUMN provider_label text`);
    // Per account and UTC month, like account_usage: a month's model cost includes calls on older cases.
    await q.query(`
      CREATE TABLE account_model_usage (
        account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        month date NOT NULL,
        calls int NOT NULL DEFAULT 0,
        prompt_tokens bigint NOT NULL DEFAULT 0,
        completion_tokens bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (account_id, month)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE account_model_usage`);
    await q.query(`ALTER TABLE messages DROP COLUMN provider_label`);
    await q.query(
      `ALTER TABLE cases DROP COLUMN model_calls, DROP COLUMN model_prompt_tokens, DROP COLUMN model_completion_tokens`,
    );
    await q.query(`ALTER TABLE attachments DROP COLUMN extraction, DROP COLUMN extracted_at`);
  }
}
