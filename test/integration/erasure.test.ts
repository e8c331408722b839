// SPEC §11 erasure: deleteCase (GraphQL and REST) and CASE_RETENTION_DAYS. A case is given every kind of personal
// data there is (counterparty, goal, metadata, a reply with an attachment, a result, a timeline, webhook deliveries),
// erased, and then the whole database (every table of every schema, pg-boss's included) is searched for any of it.
import { randomUUID } from 'node:crypto';
import {
  CancelCaseDocument,
  CaseUpdatedDocument,
  CaseUpdatesDocument,
  CreateCaseDocument,
  DeleteCaseDocument,
  GetCaseDetailDocument,
  GetUsageDocument,
  ListCasesDocument,
} from '../../schema/generated/graphql';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { CaseProbe } from '../helpers/case.probe';
import { collect } from '../helpers/graphql-client';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { pdf, postLocalReply } from '../helpers/reply.helper';
import { waitFor } from '../helpers/wait';

let app: TestApp;
let probe: CaseProbe;
let receiver: WebhookReceiver;

beforeAll(async () => {
  app = await startTestApp('erasure', {
    env: { AGENT: 'rules', OFFLOAD_TIME_SCALE: '1000', CASE_RETENTION_DAYS: '30' },
  });
  probe = new CaseProbe(app);
  receiver = await WebhookReceiver.start();
});
afterAll(async () => {
  await receiver?.close();
  await app?.stop();
});

/** Strings that appear nowhere but in this case's data. */
function markers() {
  const tag = randomUUID().replaceAll('-', '').slice(0, 12);
  return {
    address: `erasable-${tag}@vendor.example`,
    name: `Zelda Erasable ${tag}`,
    objective: `Collect the permit numbered OBJ${tag}`,
    metadata: `META${tag}`,
    replyText: `REPLY${tag}`,
    attachment: `ATTACH${tag}`,
    result: `RES${tag}`,
  };
}

/** A case that completed with a result, after a reply with an attachment, and announced webhooks. */
async function completedCase(m: ReturnType<typeof markers>): Promise<{ id: string; link: string }> {
  const input = caseInput({
    counterparty: { address: m.address, name: m.name },
    goal: { objective: m.objective },
    metadata: { note: m.metadata },
    resultSchema: { type: 'object', properties: { permit: { type: 'string' } }, required: ['permit'] },
    clientWebhookUrl: receiver.url(),
    followUpDelayHours: 8760,
  });
  const id = (await app.client.ok(CreateCaseDocument, { input: input as never })).createCase.id;
  await probe.status(id, 'RUNNING');
  const res = await postLocalReply(app.url, app.apiKey, {
    caseId: id,
    // From the counterparty itself: anyone else's mail is kept unverified and never completes a case (issue 20).
    from: m.address,
    text: `${m.replyText}\npermit: ${m.result}`,
    attachments: [pdf(`%PDF-1.4 ${m.attachment}`, 'permit.pdf')],
  });
  expect(res.status).toBe(202);
  const done = await probe.status(id, 'COMPLETED');
  expect(done.result).toEqual({ permit: m.result });
  await waitFor('case.completed delivered', async () => {
    const [row] = (await app.offload.db.query(
      `SELECT count(*)::int AS n FROM webhook_deliveries WHERE case_id = $1 AND status = 'DELIVERED'`,
      [id],
    )) as Array<{ n: number }>;
    return row!.n > 0;
  });
  return { id, link: done.attachments[0]!.download.url };
}

/** Every row of every table (pg-boss's too) that mentions any marker, as `schema.table`. */
async function tablesMentioning(needles: string[]): Promise<string[]> {
  const tables = (await app.offload.db.query(
    `SELECT table_schema AS s, table_name AS t FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
  )) as Array<{ s: string; t: string }>;
  // bytea columns show in JSON as hex: search for the hex of each marker as well.
  const patterns = needles.flatMap((n) => [n.toLowerCase(), Buffer.from(n).toString('hex')]);
  const found: string[] = [];
  for (const { s, t } of tables) {
    const [row] = (await app.offload.db.query(
      `SELECT count(*)::int AS n FROM "${s}"."${t}" x WHERE lower(to_jsonb(x)::text) LIKE ANY($1::text[])`,
      [patterns.map((p) => `%${p}%`)],
    )) as Array<{ n: number }>;
    if (row!.n > 0) found.push(`${s}.${t}`);
  }
  return found;
}

describe('deleteCase', () => {
  it("leaves none of the case's personal data anywhere in the database, and keeps usage as it was", async () => {
    const m = markers();
    const { id } = await completedCase(m);
    // The search finds the data while the case exists: a search that finds nothing proves nothing.
    expect(await tablesMentioning(Object.values(m))).toEqual(
      expect.arrayContaining(['public.cases', 'public.messages', 'public.attachments', 'public.webhook_deliveries']),
    );
    const usageBefore = (await app.client.ok(GetUsageDocument, {})).usage;

    expect(await app.client.ok(DeleteCaseDocument, { id })).toEqual({ deleteCase: true });

    expect(await tablesMentioning(Object.values(m))).toEqual([]);
    expect(await tablesMentioning([id])).toEqual(['public.erased_cases']);
    const [tombstone] = (await app.offload.db.query(
      `SELECT status, result_status, erased_by FROM erased_cases WHERE id = $1`,
      [id],
    )) as Array<Record<string, string>>;
    expect(tombstone).toEqual({ status: 'COMPLETED', result_status: 'goal_achieved', erased_by: 'client' });
    expect((await app.client.ok(GetUsageDocument, {})).usage).toEqual(usageBefore);
  });

  it('answers like a missing case afterwards on GraphQL, REST and attachment links', async () => {
    const m = markers();
    const { id, link } = await completedCase(m);
    expect((await fetch(link)).status).toBe(200);
    const rest = await fetch(`${app.url}/cases/${id}`, {
      method: 'DELETE',
      headers: { 'x-api-key': app.apiKey },
    });
    expect(rest.status).toBe(200);
    expect(await rest.json()).toEqual({ ok: true, data: { caseId: id, deleted: true } });

    expect((await app.client.ok(GetCaseDetailDocument, { id })).case).toBeNull();
    const listed = await app.client.ok(ListCasesDocument, { first: 100 });
    expect(listed.cases.edges.map((e) => e.node.id)).not.toContain(id);
    expect(await app.client.errorCode(DeleteCaseDocument, { id })).toBe('CASE_NOT_FOUND');
    expect(await app.client.errorCode(CancelCaseDocument, { id })).toBe('CASE_NOT_FOUND');
    const got = await fetch(`${app.url}/cases/${id}`, { headers: { 'x-api-key': app.apiKey } });
    expect(got.status).toBe(404);
    expect(
      (await fetch(`${app.url}/cases/${id}`, { method: 'DELETE', headers: { 'x-api-key': app.apiKey } })).status,
    ).toBe(404);
    // The signed link still verifies, but leads to nothing, exactly as a link to a file that never existed.
    const erasedLink = await fetch(link);
    expect(erasedLink.status).toBe(403);
    expect(await erasedLink.json()).toEqual(await (await fetch(link.replace(id, randomUUID()))).json());

    // A new subscription to it is as silent as one to an id that never existed (SPEC §2).
  });

  it('live subscribers hear nothing more of an erased case, while the account goes on', async () => {
    const ws = app.client.ws();
    let id = '';
    let later = '';
    try {
      const all = collect(ws, CaseUpdatesDocument, {}, (items) =>
        items.some((i) => i.caseUpdates.case.id === later && i.caseUpdates.toStatus === 'RUNNING'),
      );
      await all.ready;
      await waitFor('the account subscription registered', () => app.offload.services.feed.subscriberCount >= 1);
      id = (await app.client.ok(CreateCaseDocument, { input: caseInput({ followUpDelayHours: 8760 }) as never }))
        .createCase.id;
      // Heard up to RUNNING: the feed has dispatched everything of the case committed so far (it goes in commit
      // order), so whatever of it comes from now on would come after the erasure.
      const heardOf = () => all.items.filter((i) => i.caseUpdates.case.id === id);
      await waitFor('the case heard RUNNING', () => heardOf().some((i) => i.caseUpdates.toStatus === 'RUNNING'));
      const heardBefore = heardOf().length;
      const one = collect(ws, CaseUpdatedDocument, { id }, () => false);
      one.finished.catch(() => undefined);
      await waitFor('both subscriptions registered', () => app.offload.services.feed.subscriberCount >= 2);
      expect(await app.client.ok(DeleteCaseDocument, { id })).toEqual({ deleteCase: true });
      // A reply to the erased case finds no case.
      expect((await postLocalReply(app.url, app.apiKey, { caseId: id, text: 'Still there?' })).status).toBe(404);
      later = (await app.client.ok(CreateCaseDocument, { input: caseInput({ followUpDelayHours: 8760 }) as never }))
        .createCase.id;
      // The feed dispatches in commit order: once the later case's event is here, any of the erased one's came first.
      const items = await all.finished;
      expect(items.filter((i) => i.caseUpdates.case.id === id)).toHaveLength(heardBefore);
      expect(one.items).toEqual([]);
    } finally {
      await ws.dispose();
    }
  });

  it("another account's deleteCase answers CASE_NOT_FOUND and erases nothing", async () => {
    const { id } = await completedCase(markers());
    const other = await app.newAccount('BASE_PRO', 'other');
    expect(await other.client.errorCode(DeleteCaseDocument, { id })).toBe('CASE_NOT_FOUND');
    expect((await app.client.ok(GetCaseDetailDocument, { id })).case?.status).toBe('COMPLETED');
  });
});

describe('CASE_RETENTION_DAYS', () => {
  it('the sweep erases finished cases older than that and keeps newer and running ones', async () => {
    const old = markers();
    const { id: oldId } = await completedCase(old);
    const { id: recentId } = await completedCase(markers());
    const running = (
      await app.client.ok(CreateCaseDocument, { input: caseInput({ followUpDelayHours: 8760 }) as never })
    ).createCase.id;
    await probe.status(running, 'RUNNING');
    // The old case finished 31 days ago; the running one was created then (retention counts from the finish).
    await app.offload.db.query(`UPDATE cases SET finished_at = now() - interval '31 days' WHERE id = $1`, [oldId]);
    await app.offload.db.query(`UPDATE cases SET created_at = now() - interval '31 days' WHERE id = $1`, [running]);

    await app.offload.boss.send('follow-up-sweep', {});
    await waitFor(
      'the old case erased',
      async () => (await app.client.ok(GetCaseDetailDocument, { id: oldId })).case === null,
    );
    expect(await tablesMentioning(Object.values(old))).toEqual([]);
    const [tombstone] = (await app.offload.db.query(`SELECT erased_by FROM erased_cases WHERE id = $1`, [
      oldId,
    ])) as Array<{
      erased_by: string;
    }>;
    expect(tombstone).toEqual({ erased_by: 'retention' });
    expect((await app.client.ok(GetCaseDetailDocument, { id: recentId })).case?.status).toBe('COMPLETED');
    expect((await app.client.ok(GetCaseDetailDocument, { id: running })).case?.status).toBe('RUNNING');
  });
});
