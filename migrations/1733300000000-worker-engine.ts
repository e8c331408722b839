import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 19, the worker engine.
 *
 * composed_drafts: a mail the model composed, stored in its own statement the moment the model answers and keyed by
 * the send's job key, so a retry of a step or send that failed after the compose (a transaction, a transport, a
 * crash) sends what was paid for instead of composing again. Deleted with the case; the message row takes over once
 * the mail is recorded, and the sweep drops drafts that outlived their use.
 *
 * cases.follow_up_queued_at: the next_action_at a FOLLOW_UP_DUE job was last queued for. Follow-ups are queued by
 * a frequent due-poll from the indexed next_action_at instead of one deferred pg-boss job per case (each fetch walked
 * past every deferred job); the column keeps two pollers, or two polls, from queueing the same follow-up twice.
 */
export class WorkerEngine1733300000000 implements MigrationInterface {
  name = 'WorkerEngine1733300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE composed_drafts (
        send_key text PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        subject text NOT NULL,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX composed_drafts_case_idx ON composed_drafts (case_id)`);
    await q.query(`ALTER TABLE cases ADD COLUMN follow_up_queued_at timestamptz`);
    // The deferred follow-up jobs of earlier releases go: the due-poll queues each case's follow-up from
    // next_action_at (follow_up_queued_at is null for all of them), so none is lost. pg-boss's schema exists only
    // on a database an earlier release started.
    await q.query(`
      DO $$ BEGIN
        IF to_regclass('pgboss.job') IS NOT NULL THEN
          DELETE FROM pgboss.job WHERE name = 'case-events' AND state = 'created' AND start_after > now()
             AND data->>'type' = 'FOLLOW_UP_DUE';
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cases DROP COLUMN follow_up_queued_at`);
    await q.query(`DROP TABLE composed_drafts`);
  }
}
