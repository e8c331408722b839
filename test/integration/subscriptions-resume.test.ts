// Feeds that resume (SPEC §10): a subscriber disconnects, a worker in another process moves cases on, the
// subscriber reconnects with the last cursor (or sequence) and gets exactly what it missed, in order, then the live
// updates, with nothing skipped or repeated at the seam. A cursor past the resume window gets CURSOR_EXPIRED.
import {
  CancelCaseDocument,
  CaseUpdatedDocument,
  CaseUpdatesDocument,
  CreateCaseDocument,
  GetCaseDocument,
  type CaseUpdatedSubscription,
  type CaseUpdatesSubscription,
} from '../../schema/generated/graphql';
import { collect } from '../helpers/graphql-client';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { spawnOffload, type OffloadProcess } from '../helpers/process';
import { reply } from '../helpers/reply.helper';
import { waitFor } from '../helpers/wait';

let app: TestApp;
let worker: OffloadProcess;

beforeAll(async () => {
  // This process serves the API only: every transition after case.created is written by the worker process.
  app = await startTestApp('subscriptions-resume', { role: 'api' });
  worker = spawnOffload('worker', {
    DATABASE_URL: app.database.url,
    AGENT: 'rules',
    MAIL_TRANSPORT: 'local',
    WEBHOOK_ALLOW_PRIVATE: 'true',
  });
});
afterAll(async () => {
  await worker?.kill('SIGTERM');
  await app?.stop();
});

const statusOf = async (id: string) => (await app.client.ok(GetCaseDocument, { id })).case?.status;

/** The account's timeline rows in feed order (what a resumed caseUpdates must reproduce). */
async function accountRows(): Promise<{ id: string; case_id: string; seq: number }[]> {
  return app.offload.db.query(
    `SELECT id, case_id, seq FROM case_events WHERE account_id = $1 ORDER BY tx_id, global_seq`,
    [app.accountId],
  );
}

type Update = CaseUpdatesSubscription['caseUpdates'];

it('caseUpdates(after: cursor) replays exactly the missed updates, then goes on live, with no duplicate', async () => {
  // 1. Connected: a case is created and its outreach sent (by the worker process).
  const first = app.client.ws();
  const seen = collect(first, CaseUpdatesDocument, {}, () => false, 60_000);
  seen.finished.catch(() => undefined);
  await waitFor('the subscriber', () => app.offload.services.feed.subscriberCount === 1);
  const a = (await app.client.ok(CreateCaseDocument, { input: caseInput({ clientReferenceId: 'a' }) })).createCase;
  await waitFor("a's outreach to reach the subscriber", () =>
    seen.items.some((u) => u.caseUpdates.case.id === a.id && u.caseUpdates.type === 'outreach.sent'),
  );
  const before: Update[] = seen.items.map((u) => u.caseUpdates);
  const lastCursor = before.at(-1)!.cursor;
  await first.dispose();
  await waitFor('the subscriber to leave', () => app.offload.services.feed.subscriberCount === 0);

  // 2. Disconnected: the worker process completes case a, and a new case b gets its outreach.
  await reply(app, a.id, 'Here is the document you asked for.');
  const b = (await app.client.ok(CreateCaseDocument, { input: caseInput({ clientReferenceId: 'b' }) })).createCase;
  await waitFor(
    'a completed and b running',
    async () => (await statusOf(a.id)) === 'COMPLETED' && (await statusOf(b.id)) === 'RUNNING',
  );
  const missed = (await accountRows()).slice(before.length);
  expect(missed.length).toBeGreaterThanOrEqual(4);

  // 3. Reconnected with the last cursor, while more cases are created: replay and live meet at a seam.
  const second = app.client.ws();
  try {
    const resumed = collect(second, CaseUpdatesDocument, { after: lastCursor }, () => false, 60_000);
    resumed.finished.catch(() => undefined);
    const more = await Promise.all(
      ['c', 'd', 'e'].map(
        async (ref) =>
          (await app.client.ok(CreateCaseDocument, { input: caseInput({ clientReferenceId: ref }) })).createCase,
      ),
    );
    for (const c of more)
      await waitFor(`case ${c.clientReferenceId} running`, async () => (await statusOf(c.id)) === 'RUNNING');
    // A live transition well after the replay: cancelling b.
    await app.client.ok(CancelCaseDocument, { id: b.id, reason: 'enough' });
    const expected = (await accountRows()).slice(before.length);
    await waitFor('every update since the cursor', () => resumed.items.length >= expected.length, 30_000);
    // Nothing more arrives late (a duplicate would).
    await new Promise((r) => setTimeout(r, 1_000));
    const got = resumed.items.map((u) => u.caseUpdates);
    expect(got.map((u) => u.eventId)).toEqual(expected.map((r) => r.id));
    expect(got.slice(0, missed.length).map((u) => u.eventId)).toEqual(missed.map((r) => r.id));
    expect(new Set(got.map((u) => u.cursor)).size).toBe(got.length);
    expect(got.at(-1)).toMatchObject({ type: 'case.failed', case: { id: b.id, status: 'FAILED' } });
  } finally {
    await second.dispose();
  }
});

it('caseUpdated(id, after: sequence) replays the case from that sequence, then goes on live', async () => {
  const c = (await app.client.ok(CreateCaseDocument, { input: caseInput() })).createCase;
  await waitFor('the outreach', async () => (await statusOf(c.id)) === 'RUNNING');
  await reply(app, c.id, 'Here is the document you asked for.');
  await waitFor('completion', async () => (await statusOf(c.id)) === 'COMPLETED');
  const rows = (await accountRows()).filter((r) => r.case_id === c.id);
  const ws = app.client.ws();
  try {
    const sub = collect(ws, CaseUpdatedDocument, { id: c.id, after: 1 }, (items) => items.length >= rows.length - 1);
    const got: CaseUpdatedSubscription['caseUpdated'][] = (await sub.finished).map((u) => u.caseUpdated);
    expect(got.map((u) => u.sequence)).toEqual(rows.slice(1).map((r) => r.seq));
    expect(got.map((u) => u.eventId)).toEqual(rows.slice(1).map((r) => r.id));
  } finally {
    await ws.dispose();
  }
});

it('answers CURSOR_EXPIRED for a cursor past the resume window, and BAD_USER_INPUT for one that is not a cursor', async () => {
  // A second API instance on the same database with a tiny window: at most 2 updates behind, no age allowance.
  const strict = await startTestApp('subscriptions-resume-strict', {
    role: 'api',
    database: app.database,
    env: { FEED_RESUME_HOURS: '0', FEED_RESUME_UPDATES: '2' },
  });
  const ws = strict.client.ws();
  try {
    const own = (await strict.client.ok(CreateCaseDocument, { input: caseInput() })).createCase;
    const live = collect(ws, CaseUpdatedDocument, { id: own.id, after: 0 }, (items) => items.length >= 1);
    const created = (await live.finished)[0]!.caseUpdated;
    // outreach.sent, case.failed, and another case's case.created: the first cursor is now 3 updates behind.
    await waitFor(
      'the outreach',
      async () => (await strict.client.ok(GetCaseDocument, { id: own.id })).case?.status === 'RUNNING',
    );
    await strict.client.ok(CancelCaseDocument, { id: own.id, reason: 'stop' });
    await strict.client.ok(CreateCaseDocument, { input: caseInput() });
    const behind: { n: number }[] = await app.offload.db.query(
      `SELECT count(*)::int AS n FROM case_events WHERE account_id = $1`,
      [strict.accountId],
    );
    expect(behind[0]!.n).toBeGreaterThanOrEqual(4);
    await expect(
      collect(ws, CaseUpdatesDocument, { after: created.cursor }, () => true, 10_000).finished,
    ).rejects.toThrow(/CURSOR_EXPIRED/);
    await expect(
      collect(ws, CaseUpdatesDocument, { after: 'not-a-cursor' }, () => true, 10_000).finished,
    ).rejects.toThrow(/BAD_USER_INPUT/);
  } finally {
    await ws.dispose();
    await strict.stop();
  }
});
