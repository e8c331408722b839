// Migration 1732900000000 on a database that already has cases: each gets the follow-up budget it would have had
// under the new rule (follow-ups since the counterparty's last message) and the replies it already sent.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

const OURS = 1732900000000;
const stamp = (m: (typeof MIGRATIONS)[number]) => Number(/(\d{13})$/.exec(m.name)?.[1] ?? 0);

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('migration-budget');
});
afterAll(async () => database?.drop());

const source = (migrations: typeof MIGRATIONS) =>
  new DataSource({ type: 'postgres', url: database.url, migrations, migrationsTableName: 'typeorm_migrations' });

it('gives existing cases their followUpCount and replyCount, and new columns their defaults', async () => {
  const before = source(MIGRATIONS.filter((m) => stamp(m) < OURS));
  await before.initialize();
  const account = randomUUID();
  const running = randomUUID();
  const done = randomUUID();
  try {
    await before.runMigrations();
    await before.query(`INSERT INTO accounts (id, name, plan, webhook_secret) VALUES ($1, 'a', 'PAYG', 'whsec_x')`, [
      account,
    ]);
    for (const [id, status] of [
      [running, 'RUNNING'],
      [done, 'COMPLETED'],
    ])
      await before.query(
        `INSERT INTO cases (id, account_id, channel, status, goal, counterparty, sender_persona, attempt_count,
                            max_attempts, follow_up_delay_hours, created_at, updated_at)
         VALUES ($1, $2, 'EMAIL', $3, '{}', '{}', '{}', 5, 3, 72, now(), now())`,
        [id, account, status],
      );
    // outreach, follow-up, their question, our reply, follow-up, follow-up (not yet sent): two sent since theirs.
    const thread: [string, string, string | null, string][] = [
      ['outbound', 'sent', 'outreach', '2027-01-01'],
      ['outbound', 'sent', 'follow_up', '2027-01-02'],
      ['inbound', 'received', null, '2027-01-03'],
      ['outbound', 'sent', 'reply', '2027-01-04'],
      ['outbound', 'sent', 'follow_up', '2027-01-05'],
      ['outbound', 'sent', 'follow_up', '2027-01-06'],
      ['outbound', 'pending', 'follow_up', '2027-01-07'],
    ];
    for (const caseId of [running, done])
      for (const [direction, status, purpose, at] of thread)
        await before.query(
          `INSERT INTO messages (id, case_id, account_id, direction, status, purpose, from_address, to_addresses,
                                 created_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'x@example.com', '{}', $7)`,
          [randomUUID(), caseId, account, direction, status, purpose, at],
        );
  } finally {
    await before.destroy();
  }

  const after = source(MIGRATIONS);
  await after.initialize();
  try {
    expect((await after.runMigrations()).map((m) => m.name)).toContain(`ScheduleBudgetResume${OURS}`);
    const rows: Record<string, unknown>[] = await after.query(
      `SELECT id, follow_up_count, reply_count, max_replies, send_window, start_at, held_send FROM cases ORDER BY id`,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(running)).toMatchObject({
      follow_up_count: 2,
      reply_count: 1,
      max_replies: 10,
      send_window: null,
      start_at: null,
      held_send: null,
    });
    // Finished cases keep the defaults: nothing will be scheduled for them again.
    expect(byId.get(done)).toMatchObject({ follow_up_count: 0, reply_count: 0, max_replies: 10 });
    const auto: { auto_reply: boolean }[] = await after.query(`SELECT DISTINCT auto_reply FROM messages`);
    expect(auto).toEqual([{ auto_reply: false }]);
  } finally {
    await after.destroy();
  }
});
