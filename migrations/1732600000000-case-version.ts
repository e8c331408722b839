import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A version per case, bumped by every write of the case row, so a worker step decided from an unlocked read can be
 * written in one round trip and refused (rolled back whole) if the case changed since; and the function that
 * refusal raises, with its own SQLSTATE so the worker can tell it from a real error.
 */
export class CaseVersion1732600000000 implements MigrationInterface {
  name = 'CaseVersion1732600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cases ADD COLUMN version int NOT NULL DEFAULT 0`);
    await q.query(`
      CREATE FUNCTION offload_stale(what text) RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '%', what USING ERRCODE = 'OF001';
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION offload_stale(text)`);
    await q.query(`ALTER TABLE cases DROP COLUMN version`);
  }
}
