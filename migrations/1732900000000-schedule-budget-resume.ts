import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 21: send windows and scheduled starts, a follow-up budget that in-thread replies do not use, auto-replies,
 * and feeds that resume from a cursor.
 */
export class ScheduleBudgetResume1732900000000 implements MigrationInterface {
  name = 'ScheduleBudgetResume1732900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE cases
        ADD COLUMN start_at timestamptz,
        ADD COLUMN send_window jsonb,
        ADD COLUMN held_send jsonb,
        ADD COLUMN follow_up_count int NOT NULL DEFAULT 0,
        ADD COLUMN reply_count int NOT NULL DEFAULT 0,
        ADD COLUMN max_replies int NOT NULL DEFAULT 10`);
    // Existing cases get the budget they would have had under the new rule: follow-ups sent since the
    // counterparty's last message, and the in-thread replies sent so far.
    await q.query(`
      UPDATE cases c SET
        follow_up_count = (SELECT count(*) FROM messages m
                            WHERE m.case_id = c.id AND m.direction = 'outbound' AND m.purpose = 'follow_up'
                              AND m.status = 'sent'
                              AND m.created_at > COALESCE((SELECT max(i.created_at) FROM messages i
                                                            WHERE i.case_id = c.id AND i.direction = 'inbound'),
                                                          '-infinity')),
        reply_count = (SELECT count(*) FROM messages m
                        WHERE m.case_id = c.id AND m.direction = 'outbound' AND m.purpose = 'reply'
                          AND m.status = 'sent')
      WHERE c.status NOT IN ('COMPLETED', 'FAILED')`);
    // Cases held before their outreach (startAt, send window) are due too: the sweep walks both statuses.
    await q.query(`DROP INDEX cases_due_idx`);
    await q.query(`CREATE INDEX cases_due_idx ON cases (next_action_at)
                   WHERE status IN ('CREATED', 'RUNNING') AND next_action_at IS NOT NULL`);
    // Auto-replies are stored on the thread but are not the counterparty writing.
    await q.query(`ALTER TABLE messages ADD COLUMN IF NOT EXISTS auto_reply boolean NOT NULL DEFAULT false`);
    // Resuming an account's feed reads its rows after a cursor in fan-out order.
    await q.query(`CREATE INDEX case_events_account_fanout_idx ON case_events (account_id, tx_id, global_seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX case_events_account_fanout_idx`);
    // messages.auto_reply belongs to 1732800000000 as well (both issues added it); that migration drops it.
    await q.query(`DROP INDEX cases_due_idx`);
    await q.query(
      `CREATE INDEX cases_due_idx ON cases (next_action_at) WHERE status = 'RUNNING' AND next_action_at IS NOT NULL`,
    );
    await q.query(`
      ALTER TABLE cases DROP COLUMN start_at, DROP COLUMN send_window, DROP COLUMN held_send,
        DROP COLUMN follow_up_count, DROP COLUMN reply_count, DROP COLUMN max_replies`);
  }
}
