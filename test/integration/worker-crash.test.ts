// A worker process killed with SIGKILL while model calls are in flight, twice: a fresh worker takes the jobs back
// (pg-boss heartbeats), every case still reaches its scripted end, and no case makes any transition twice.
// Needs the built CLI (`npm run -s build`).
import { CreateCaseDocument } from '../../schema/generated/graphql';
import type { FakeChatRequest } from '../fakes/openai-fake';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { spawnOffload, type OffloadProcess } from '../helpers/process';
import { waitFor } from '../helpers/wait';
import { CaseProbe, timelineTypes, type CaseDetail } from '../helpers/case.probe';
import { startScriptedFake, verdict, type ScriptedFake } from '../fakes/scripted-model';

const KINDS = ['achieve', 'reject', 'converse', 'silent'] as const;
type Kind = (typeof KINDS)[number];
const CASES_PER_KIND = 6;
const CONCURRENCY = 8;

/** The one right timeline of each kind: any transition made twice would show here. */
const EXPECTED: Record<Kind, { status: string; resultStatus: string; timeline: string[] }> = {
  achieve: {
    status: 'COMPLETED',
    resultStatus: 'goal_achieved',
    timeline: ['case.created', 'outreach.sent', 'reply.received', 'case.completed'],
  },
  reject: {
    status: 'FAILED',
    resultStatus: 'failed_rejected',
    timeline: ['case.created', 'outreach.sent', 'reply.received', 'case.failed'],
  },
  converse: {
    status: 'COMPLETED',
    resultStatus: 'goal_achieved',
    timeline: [
      'case.created',
      'outreach.sent',
      'reply.received',
      'reply.requested',
      'reply.sent',
      'reply.received',
      'case.completed',
    ],
  },
  silent: {
    status: 'FAILED',
    resultStatus: 'max_retries',
    timeline: ['case.created', 'outreach.sent', 'follow_up.sent', 'case.failed'],
  },
};

let app: TestApp;
let ai: ScriptedFake;
let probe: CaseProbe;
const workers: OffloadProcess[] = [];

beforeAll(async () => {
  // Latency keeps model calls in flight long enough for a kill to land in the middle of them.
  ai = await startScriptedFake({ latencyMs: 400 });
  app = await startTestApp('worker-crash', { role: 'api', env: { OFFLOAD_TIME_SCALE: '3600' } });
  probe = new CaseProbe(app);
});
afterAll(async () => {
  for (const worker of workers) await worker.kill('SIGKILL');
  await app?.stop();
  await ai?.stop();
});

async function startWorker(): Promise<OffloadProcess> {
  const worker = spawnOffload('worker', {
    DATABASE_URL: app.database.url,
    AGENT: 'openai',
    OPENAI_BASE_URL: ai.fake.baseURL,
    OFFLOAD_TIME_SCALE: '3600',
    WORKER_CONCURRENCY: String(CONCURRENCY),
    DATABASE_POOL_MAX: '12',
  });
  workers.push(worker);
  await worker.waitFor(/offload started/);
  return worker;
}

/** Evaluations answer from what the prompt holds, so a call repeated after a kill gets the same answer. */
function script(kind: Kind): (request: FakeChatRequest) => ReturnType<typeof verdict> {
  switch (kind) {
    case 'achieve':
      return () => verdict('GOAL_ACHIEVED', { result: { summary: 'received' } });
    case 'reject':
      return () => verdict('FAILED_REJECTED');
    case 'converse':
      return (request) =>
        request.text.includes('second reply')
          ? verdict('GOAL_ACHIEVED', { result: { summary: 'after a conversation' } })
          : verdict('REQUIRES_REPLY', { replyBody: 'The 2024 form, please.' });
    case 'silent':
      return () => verdict('SNOOZE', { snoozeHours: 1 }); // never asked: nobody replies
  }
}

/** Plays the counterparty: answers each case once it is waiting for that answer. Idempotent per poll. */
async function drive(cases: Array<{ id: string; kind: Kind }>, replied: Map<string, number>): Promise<void> {
  for (const { id, kind } of cases) {
    if (kind === 'silent') continue;
    const c = await probe.detail(id);
    const sent = replied.get(id) ?? 0;
    if (sent === 0 && c.status === 'RUNNING' && c.attemptCount === 1) {
      await probe.reply(id, 'first reply: which form do you need?', app.apiKey);
      replied.set(id, 1);
    } else if (kind === 'converse' && sent === 1 && c.status === 'RUNNING' && c.attemptCount === 2) {
      await probe.reply(id, 'second reply: signed form attached', app.apiKey);
      replied.set(id, 2);
    }
  }
}

it('recovers every case after SIGKILLs mid-flight, without any transition twice', async () => {
  const started = Date.now();
  let worker = await startWorker();
  const cases: Array<{ id: string; kind: Kind }> = [];
  for (let i = 0; i < KINDS.length * CASES_PER_KIND; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const quiet = kind === 'silent' ? { followUpDelayHours: 1, maxAttempts: 1 } : { followUpDelayHours: 720 };
    const { createCase } = await app.client.ok(CreateCaseDocument, { input: caseInput(quiet) });
    ai.evaluateWith(createCase.id, script(kind));
    cases.push({ id: createCase.id, kind });
  }

  // Kill 1: while outreach mails are being composed.
  await waitFor('outreach composes in flight', () => ai.inFlight() >= 3, 20_000, 5);
  await worker.kill('SIGKILL');
  worker = await startWorker();

  // Kill 2: once the counterparty is answering and evaluations are in flight.
  const replied = new Map<string, number>();
  await waitFor(
    'evaluations in flight',
    async () => {
      await drive(cases, replied);
      return ai.fake.requests.some((r) => r.callName === 'evaluate_reply') && ai.inFlight() >= 2;
    },
    40_000,
    20,
  );
  await worker.kill('SIGKILL');
  worker = await startWorker();

  const finished = new Map<string, CaseDetail>();
  await waitFor(
    'every case to finish',
    async () => {
      await drive(cases, replied);
      for (const { id } of cases) {
        if (finished.has(id)) continue;
        const c = await probe.detail(id);
        if (c.status === 'COMPLETED' || c.status === 'FAILED') finished.set(id, c);
      }
      return finished.size === cases.length;
    },
    90_000,
    200,
  ).catch((error: unknown) => {
    const stuck = cases.filter((c) => !finished.has(c.id)).map((c) => `${c.kind} ${c.id}`);
    throw new Error(`${String(error)}; unfinished: ${stuck.join(', ')}\n${worker.output.slice(-20).join('\n')}`);
  });

  for (const { id, kind } of cases) {
    const c = finished.get(id)!;
    const expected = EXPECTED[kind];
    expect({ kind, status: c.status, resultStatus: c.resultStatus, timeline: timelineTypes(c) }).toEqual({
      kind,
      ...expected,
    });
  }

  const counts: Array<{ sent: number; duplicates: number; in_doubt: number }> = await app.offload.db.query(
    `SELECT count(*) FILTER (WHERE status = 'sent')::int AS sent,
            count(*) FILTER (WHERE send_attempts > 1)::int AS duplicates,
            count(*) FILTER (WHERE status = 'pending')::int AS in_doubt
       FROM messages WHERE direction = 'outbound' AND case_id = ANY($1::uuid[])`,
    [cases.map((c) => c.id)],
  );
  const { sent, duplicates, in_doubt } = counts[0]!;
  // One outreach each, a follow-up for the silent cases, a reply for the conversations.
  expect(sent).toBe(cases.length + 2 * CASES_PER_KIND);
  expect(in_doubt).toBe(0);
  // The local transport sends inside the transaction that records the send, so a kill leaves nothing in doubt.
  // (With a real transport a kill between its acceptance and our record makes the retry send again, counted as
  // send_attempts > 1: see worker-duplicates.test.ts.)
  expect(duplicates).toBe(0);
  // A passing run prints nothing; OFFLOAD_TEST_VERBOSE=1 shows what this run exercised.
  if (process.env.OFFLOAD_TEST_VERBOSE)
    console.log(
      `worker-crash: ${cases.length} cases, 2 SIGKILLs, ${sent} mails sent, ${duplicates} possible duplicate sends ` +
        `(send_attempts > 1), ${Math.round((Date.now() - started) / 1000)} s`,
    );
  expect(ai.unexpected).toEqual([]);
}, 150_000);
