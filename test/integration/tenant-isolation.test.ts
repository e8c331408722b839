// Account B's key against every face that can reach account A's case: each answers exactly as it does for an id that
// does not exist (SPEC §2), and nothing B does changes anything of A's. A's case is given an attachment, an open input
// request, webhook deliveries and a timeline first, so there is something to leak.
import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  CancelCaseDocument,
  CaseUpdatedDocument,
  CaseUpdatesDocument,
  CreateCaseDocument,
  GetCaseDetailDocument,
  GetCaseDocument,
  GetCaseStatsDocument,
  GetCaseWebhookDeliveriesDocument,
  GetUsageDocument,
  ListCasesDocument,
  RotateWebhookSecretDocument,
  SubmitInputDocument,
} from '../../schema/generated/graphql';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { collect, type GraphQLClient } from '../helpers/graphql-client';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { pdf, postLocalReply } from '../helpers/reply.helper';
import { waitFor, waitForStatus } from '../helpers/wait';

const REF = 'tenant-a-vendor-42';
const IDEMPOTENCY_KEY = 'shared-idempotency-key';

let app: TestApp;
let receiver: WebhookReceiver;
let b: { client: GraphQLClient; apiKey: string; accountId: string };
let secretA: string;
let inputOfA: ReturnType<typeof caseInput>;
/** A's case, an attachment on it, its open input request and a signed download link minted by A. */
const a = { caseId: '', attachmentId: '', inputRequestId: '', link: '' };

beforeAll(async () => {
  app = await startTestApp('tenant-isolation', { env: { AGENT: 'rules', OFFLOAD_TIME_SCALE: '1000' } });
  b = await app.newAccount('BASE_PRO', 'tenant b');
  secretA = (await app.client.ok(RotateWebhookSecretDocument, {})).rotateWebhookSecret;
  receiver = await WebhookReceiver.start({ secret: secretA });
  inputOfA = caseInput({ clientReferenceId: REF, clientWebhookUrl: receiver.url(), followUpDelayHours: 8760 });
  const { createCase } = await app.client.ok(CreateCaseDocument, {
    input: inputOfA as never,
    idempotencyKey: IDEMPOTENCY_KEY,
  });
  a.caseId = createCase.id;
  await waitForStatus(caseOfA, a.caseId, 'RUNNING');
  const reply = await postLocalReply(app.url, app.apiKey, {
    caseId: a.caseId,
    text: 'Would Tuesday work for you?',
    attachments: [pdf('%PDF-1.4 A')],
  });
  expect(reply.status).toBe(202);
  const asked = await waitForStatus(caseOfA, a.caseId, 'INPUT_NEEDED');
  a.inputRequestId = asked.inputRequest!.id;
  a.attachmentId = asked.attachments[0]!.id;
  a.link = asked.attachments[0]!.download.url;
  await receiver.waitForRequests(1, 20_000);
}, 30_000);
afterAll(async () => {
  await app?.stop();
  await receiver?.close();
});

async function caseOfA() {
  const { case: found } = await app.client.ok(GetCaseDetailDocument, { id: a.caseId });
  if (!found) throw new Error('A cannot see its own case');
  return found;
}

/** B's GraphQL answer for A's id next to its answer for a random id, with each id replaced so they can be compared. */
async function graphqlPair<T, V>(document: TypedDocumentNode<T, V>, variables: (id: string) => V) {
  const missing = randomUUID();
  const forA = await b.client.request(document, variables(a.caseId));
  const forMissing = await b.client.request(document, variables(missing));
  const scrub = (value: unknown, id: string) => JSON.parse(JSON.stringify(value).replaceAll(id, '<id>')) as unknown;
  return { forA: scrub(forA, a.caseId), forMissing: scrub(forMissing, missing) };
}

async function restPair(method: string, path: (id: string) => string, body?: unknown) {
  const call = async (id: string) => {
    const res = await fetch(`${app.url}${path(id)}`, {
      method,
      headers: { 'x-api-key': b.apiKey, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.text()).replaceAll(id, '<id>') };
  };
  return { forA: await call(a.caseId), forMissing: await call(randomUUID()) };
}

async function unchangedA(): Promise<void> {
  const found = await caseOfA();
  expect(found).toMatchObject({ status: 'INPUT_NEEDED', inputRequest: { id: a.inputRequestId, status: 'PENDING' } });
}

describe('GraphQL', () => {
  it('Query.case, its attachments and webhookDeliveries answer null for A, as for a missing id', async () => {
    const pairs = [
      await graphqlPair(GetCaseDocument, (id) => ({ id })),
      await graphqlPair(GetCaseDetailDocument, (id) => ({ id })),
      await graphqlPair(GetCaseWebhookDeliveriesDocument, (id) => ({ id })),
    ];
    for (const { forA, forMissing } of pairs) {
      expect(forA).toEqual(forMissing);
      expect(forA).toMatchObject({ data: { case: null } });
    }
  });

  it("lists none of A's cases, even filtered by A's clientReferenceId", async () => {
    await b.client.ok(CreateCaseDocument, { input: caseInput({ followUpDelayHours: 8760 }) });
    const all = await b.client.ok(ListCasesDocument, { first: 100 });
    expect(all.cases.edges.map((e) => e.node.id)).not.toContain(a.caseId);
    expect(all.cases.edges.length).toBeGreaterThan(0);
    const filtered = await b.client.ok(ListCasesDocument, { filter: { clientReferenceId: REF } });
    expect(filtered.cases.edges).toEqual([]);
  });

  it("finds none of A's cases by searching for A's reference", async () => {
    const mineToo = await b.client.ok(CreateCaseDocument, { input: caseInput({ clientReferenceId: 'b-own-ref' }) });
    const ofA = await b.client.ok(ListCasesDocument, { filter: { search: REF.slice(0, 12) } });
    expect(ofA.cases.edges).toEqual([]);
    const own = await b.client.ok(ListCasesDocument, { filter: { search: 'B-OWN' } });
    expect(own.cases.edges.map((e) => e.node.id)).toEqual([mineToo.createCase.id]);
  });

  it("counts only B's own cases in caseStats, per status and per day", async () => {
    const [mine] = await app.offload.db.query(`SELECT count(*)::int AS n FROM cases WHERE account_id = $1`, [
      b.accountId,
    ]);
    const { caseStats } = await b.client.ok(GetCaseStatsDocument, {});
    expect(caseStats.total).toBe(mine.n);
    expect(caseStats.byStatus.find((s) => s.status === 'INPUT_NEEDED')?.count).toBe(0);
    const perDay = caseStats.perDay.reduce((sum, d) => sum + d.completed + d.failed + d.open, 0);
    expect(perDay).toBe(mine.n);
    const { caseStats: ofA } = await app.client.ok(GetCaseStatsDocument, {});
    expect(ofA.total).toBe(1);
    expect(ofA.byStatus.find((s) => s.status === 'INPUT_NEEDED')?.count).toBe(1);
  });

  it("counts only B's own cases in usage", async () => {
    const [mine] = await app.offload.db.query(`SELECT count(*)::int AS n FROM cases WHERE account_id = $1`, [
      b.accountId,
    ]);
    const { usage } = await b.client.ok(GetUsageDocument, {});
    expect(usage.createdThisMonth).toBe(mine.n);
    const { usage: ofA } = await app.client.ok(GetUsageDocument, {});
    expect(ofA.createdThisMonth).toBe(1);
  });

  it("makes B's own case from A's idempotency key, never returning A's", async () => {
    const input = caseInput({ clientReferenceId: REF, followUpDelayHours: 8760 }) as never;
    const first = await b.client.ok(CreateCaseDocument, { input, idempotencyKey: IDEMPOTENCY_KEY });
    expect(first.createCase.id).not.toBe(a.caseId);
    const again = await b.client.ok(CreateCaseDocument, { input, idempotencyKey: IDEMPOTENCY_KEY });
    expect(again.createCase.id).toBe(first.createCase.id);
    const [row] = await app.offload.db.query(`SELECT account_id FROM cases WHERE id = $1`, [first.createCase.id]);
    expect(row.account_id).toBe(b.accountId);
    const ofA = await app.client.ok(CreateCaseDocument, { input: inputOfA as never, idempotencyKey: IDEMPOTENCY_KEY });
    expect(ofA.createCase.id).toBe(a.caseId);
  });

  it("cannot submit input to or cancel A's case: the same error as for a missing id, and A is untouched", async () => {
    const submit = await graphqlPair(SubmitInputDocument, (id) => ({
      input: { caseId: id, inputRequestId: a.inputRequestId, providedContext: 'Tuesday is fine.' },
    }));
    expect(submit.forA).toEqual(submit.forMissing);
    expect(submit.forA).toMatchObject({ errors: [{ extensions: { code: 'CASE_NOT_FOUND' } }] });
    const cancel = await graphqlPair(CancelCaseDocument, (id) => ({ id, reason: 'hostile' }));
    expect(cancel.forA).toEqual(cancel.forMissing);
    expect(cancel.forA).toMatchObject({ errors: [{ extensions: { code: 'CASE_NOT_FOUND' } }] });
    await unchangedA();
  });

  it("rotating B's webhook secret changes B's alone", async () => {
    const before: Array<{ id: string; webhook_secret: string }> = await app.offload.db.query(
      `SELECT id, webhook_secret FROM accounts ORDER BY id`,
    );
    const rotated = (await b.client.ok(RotateWebhookSecretDocument, {})).rotateWebhookSecret;
    expect(rotated).not.toBe(secretA);
    const after: typeof before = await app.offload.db.query(`SELECT id, webhook_secret FROM accounts ORDER BY id`);
    expect(after.filter((row) => row.id !== b.accountId)).toEqual(before.filter((row) => row.id !== b.accountId));
    const [ofB] = await app.offload.db.query(`SELECT webhook_secret FROM accounts WHERE id = $1`, [b.accountId]);
    expect(ofB.webhook_secret).toBe(rotated);
  });
});

describe('subscriptions', () => {
  it("caseUpdated(A's id) and caseUpdates deliver nothing of A's while A's case changes, B's own events still", async () => {
    const ws = b.client.ws();
    const ownIds = new Set<string>();
    try {
      // For any id, ours or not, caseUpdated subscribes and stays silent: A's id is no different from a missing one.
      const ofA = collect(ws, CaseUpdatedDocument, { id: a.caseId }, () => false);
      const ofMissing = collect(ws, CaseUpdatedDocument, { id: randomUUID() }, () => false);
      const feed = collect(ws, CaseUpdatesDocument, {}, (items) =>
        items.some((i) => ownIds.has(i.caseUpdates.case.id) && i.caseUpdates.toStatus === 'RUNNING'),
      );
      for (const s of [ofA, ofMissing]) s.finished.catch(() => undefined);
      await feed.ready;
      await waitFor('three subscriptions registered', () => app.offload.services.feed.subscriberCount === 3);
      await app.client.ok(SubmitInputDocument, {
        input: { caseId: a.caseId, inputRequestId: a.inputRequestId, providedContext: 'Tuesday is fine.' },
      });
      await waitFor('A changed', async () => (await caseOfA()).status !== 'INPUT_NEEDED');
      const { createCase } = await b.client.ok(CreateCaseDocument, { input: caseInput({ followUpDelayHours: 8760 }) });
      ownIds.add(createCase.id);
      // The feed dispatches in commit order: once B's later event is here, any of A's would have come first.
      const items = await feed.finished;
      const ofB: Array<{ id: string }> = await app.offload.db.query(`SELECT id FROM cases WHERE account_id = $1`, [
        b.accountId,
      ]);
      const seen = new Set(items.map((i) => i.caseUpdates.case.id));
      expect([...seen].filter((id) => !ofB.some((row) => row.id === id))).toEqual([]);
      expect(ofA.items).toEqual([]);
      expect(ofMissing.items).toEqual([]);
    } finally {
      await ws.dispose();
    }
  });
});

describe('attachments', () => {
  it("lets B mint no link for A's attachment", async () => {
    const { case: found } = await b.client.ok(GetCaseDetailDocument, { id: a.caseId });
    expect(found).toBeNull();
    await expect(app.offload.services.attachments.link(b.accountId, a.caseId, a.attachmentId)).rejects.toMatchObject({
      code: 'ATTACHMENT_NOT_FOUND',
    });
  });

  it("refuses A's signed link with the case id changed, as it refuses a link to nothing", async () => {
    expect((await fetch(a.link)).status).toBe(200);
    const ofB = (await b.client.ok(CreateCaseDocument, { input: caseInput({ followUpDelayHours: 8760 }) })).createCase;
    const moved = (caseId: string) => a.link.replace(`/attachments/${a.caseId}/`, `/attachments/${caseId}/`);
    const answers = await Promise.all(
      [moved(ofB.id), moved(randomUUID())].map(async (url) => {
        const res = await fetch(url);
        return { status: res.status, body: await res.text() };
      }),
    );
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]!.status).toBe(403);
  });
});

describe('REST and the local inbound door', () => {
  it('GET /cases/{id} and its attachment answer 404 CASE_NOT_FOUND, as for a missing id', async () => {
    const read = await restPair('GET', (id) => `/cases/${id}`);
    expect(read.forA).toEqual(read.forMissing);
    expect(read.forA.status).toBe(404);
    const attachment = await restPair('GET', (id) => `/cases/${id}/attachments/${a.attachmentId}`);
    expect(attachment.forA).toEqual(attachment.forMissing);
    expect(attachment.forA.status).toBe(404);
  });

  it("POST /cases/{id}/input answers 404 and adds nothing to A's case", async () => {
    const body = { inputRequestId: a.inputRequestId, providedContext: 'Use my bank details instead.' };
    const answer = await restPair('POST', (id) => `/cases/${id}/input`, body);
    expect(answer.forA).toEqual(answer.forMissing);
    expect(answer.forA.status).toBe(404);
    const knowledge = JSON.stringify((await caseOfA()).goal.knowledge ?? null);
    expect(knowledge).not.toContain('bank details');
  });

  it("POST /webhooks/local with B's key puts nothing on A's case, by id or by its address", async () => {
    const count = async () =>
      (await app.offload.db.query(`SELECT count(*)::int AS n FROM messages WHERE case_id = $1`, [a.caseId]))[0]
        .n as number;
    const before = await count();
    const byId = await postLocalReply(app.url, b.apiKey, { caseId: a.caseId, text: 'Not interested, stop emailing.' });
    const missing = await postLocalReply(app.url, b.apiKey, {
      caseId: randomUUID(),
      text: 'Not interested, stop emailing.',
    });
    expect({ status: byId.status, body: await byId.text() }).toEqual({
      status: missing.status,
      body: await missing.text(),
    });
    expect(byId.status).toBe(404);
    const address = `case-${a.caseId.replaceAll('-', '')}@${app.config.MAIL_DOMAIN}`;
    const byAddress = await postLocalReply(app.url, b.apiKey, { to: address, text: 'Not interested, stop emailing.' });
    expect(byAddress.status).toBe(404);
    expect(await count()).toBe(before);
  });
});
