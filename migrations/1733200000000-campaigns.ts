import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SPEC §14 (campaigns) and issue 19's pruning.
 *
 * An operator's monthly limit per account: `monthly_limit` NULL keeps the plan's cap (the seed's three plans stay the
 * defaults), a number replaces it, and `unlimited_cases` lifts the cap altogether (kept apart from the number so
 * that "none" is an explicit choice, never a NULL read the wrong way).
 *
 * A createCases batch claims one idempotency key for all its cases: such a row has no single case_id and keeps the
 * batch's per-input results instead.
 *
 * processed_jobs is pruned by age (the sweep, in bounded batches): the index lets each batch find old rows without
 * walking the whole table.
 */
export class Campaigns1733200000000 implements MigrationInterface {
  name = 'Campaigns1733200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE accounts
      ADD COLUMN monthly_limit int CHECK (monthly_limit >= 0),
      ADD COLUMN unlimited_cases boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE idempotency_keys
      ALTER COLUMN case_id DROP NOT NULL,
      ADD COLUMN results jsonb,
      ADD CONSTRAINT idempotency_keys_target CHECK (case_id IS NOT NULL OR results IS NOT NULL)`);
    await q.query(`CREATE INDEX processed_jobs_processed_at_idx ON processed_jobs (processed_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS processed_jobs_processed_at_idx`);
    await q.query(`DELETE FROM idempotency_keys WHERE case_id IS NULL`);
    await q.query(`ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_target, DROP COLUMN results,
      ALTER COLUMN case_id SET NOT NULL`);
    await q.query(`ALTER TABLE accounts DROP COLUMN unlimited_cases, DROP COLUMN monthly_limit`);
  }
}
