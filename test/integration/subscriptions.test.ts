// Live updates across processes: the API runs here, the worker in a separate process (the built CLI). Every
// transition the worker makes reaches this process's subscribers through Postgres (a coalesced NOTIFY, and the
// feed's poll as a floor), in timeline order, one update per timeline row, and only to the case's own account.
import {
  CaseUpdatedDocument,
  CaseUpdatesDocument,
  CreateCaseDocument,
  GetCaseDetailDocument,
  type CaseUpdatedSubscription,
  type CaseUpdatesSubscription,
} from '../../schema/generated/graphql';
import { collect, GraphQLClient } from '../helpers/graphql-client';
import { CaseProbe } from '../helpers/case.probe';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { spawnOffload, type OffloadProcess } from '../helpers/process';
import { reply } from '../helpers/reply.helper';
import { waitFor } from '../helpers/wait';

let app: TestApp;
let worker: OffloadProcess | null = null;

beforeAll(async () => {
  app = await startTestApp('subscriptions', { role: 'api' });
});
afterAll(async () => {
  await worker?.kill('SIGTERM');
  await app?.stop();
});

// Keyed on the event, not on the case it carries: that is the case as it is when the feed reads the row, so an
// earlier event read late (the worker already done) would carry COMPLETED and end the collection a row too soon.
const finished = (toStatus: string | null | undefined) => toStatus === 'COMPLETED';

it('delivers every transition a worker in another process makes, in timeline order', async () => {
  const other = await app.newAccount();
  const connections = [app.client.ws(), app.client.ws(), other.client.ws()];
  const feed = app.offload.services.feed;
  try {
    // Account-wide, opened before the case exists: it sees the whole timeline, case.created included.
    const all = collect(connections[0]!, CaseUpdatesDocument, {}, (items) =>
      finished(items.at(-1)?.caseUpdates.toStatus),
    );
    await waitFor('the account-wide subscriber', () => feed.subscriberCount === 1);
    const { createCase } = await app.client.ok(CreateCaseDocument, { input: caseInput() });
    const id = createCase.id;
    await waitFor('case.created to reach the first subscriber', () => all.items.length === 1);

    // case.created has been fanned out, so these see exactly what comes after it.
    const one = collect(connections[1]!, CaseUpdatedDocument, { id }, (items) =>
      finished(items.at(-1)?.caseUpdated.toStatus),
    );
    const stranger: CaseUpdatedSubscription[] = [];
    collect(connections[2]!, CaseUpdatedDocument, { id }, (items) => {
      stranger.push(...items.slice(stranger.length));
      return false;
    }).finished.catch(() => undefined);
    await waitFor('three subscribers on the feed', () => feed.subscriberCount === 3);

    // Only now does anything process the case: every row after case.created is written by the other process.
    worker = spawnOffload('worker', {
      DATABASE_URL: app.database.url,
      AGENT: 'rules',
      MAIL_TRANSPORT: 'local',
      WEBHOOK_ALLOW_PRIVATE: 'true',
    });
    await new CaseProbe(app).status(id, 'RUNNING');
    // No file comes with it, so the reply must not claim one ("attached" alone is asked for again).
    await reply(app, id, 'Here is the document you asked for.');
    const [everything, afterCreated] = await Promise.all([all.finished, one.finished]);

    const { case: detail } = await app.client.ok(GetCaseDetailDocument, { id });
    const timeline = detail!.timeline.map((e, i) => ({
      eventId: e.id,
      type: e.type,
      previousStatus: e.fromStatus,
      toStatus: e.toStatus,
      sequence: i + 1,
    }));
    const shape = (u: CaseUpdatedSubscription['caseUpdated'] | CaseUpdatesSubscription['caseUpdates']) => ({
      eventId: u.eventId,
      type: u.type,
      previousStatus: u.previousStatus,
      toStatus: u.toStatus,
      sequence: u.sequence,
    });
    expect(detail!.status).toBe('COMPLETED');
    expect(timeline.map((t) => t.toStatus)).toEqual(expect.arrayContaining(['RUNNING', 'COMPLETED']));
    expect(everything.map((u) => shape(u.caseUpdates))).toEqual(timeline);
    expect(afterCreated.map((u) => shape(u.caseUpdated))).toEqual(timeline.slice(1));
    // The stranger's subscription was offered the same rows, in the same reads, and was shown none of them.
    expect(stranger).toEqual([]);
  } finally {
    await Promise.all(connections.map((c) => c.dispose()));
  }
});

/** Subscribes with `connectionParams` and resolves with the close code the server ended the socket with. */
async function closeCode(connectionParams: Record<string, unknown>): Promise<number> {
  const ws = new GraphQLClient(app.url, null).ws(connectionParams);
  try {
    const closed = new Promise<number>((resolve) => ws.on('closed', (event) => resolve((event as CloseEvent).code)));
    collect(ws, CaseUpdatesDocument, {}, () => true, 10_000).finished.catch(() => undefined);
    return await closed;
  } finally {
    await ws.dispose();
  }
}

it.each([
  ['an unknown key', { 'x-api-key': 'ofk_not-a-key' }],
  ['an unknown bearer token', { authorization: 'Bearer ofk_not-a-key' }],
  ['no key', {}],
])('refuses a connection with %s at connect time (4403)', async (_label, params) => {
  expect(await closeCode(params)).toBe(4403);
});

it('accepts a valid key given as a bearer token in connectionParams', async () => {
  const ws = new GraphQLClient(app.url, null).ws({ authorization: `Bearer ${app.apiKey}` });
  try {
    const connected = new Promise<void>((resolve) => ws.on('connected', () => resolve()));
    collect(ws, CaseUpdatesDocument, {}, () => true, 10_000).finished.catch(() => undefined);
    await connected;
  } finally {
    await ws.dispose();
  }
});
