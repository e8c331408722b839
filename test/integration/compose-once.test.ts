// A compose that succeeded is paid for: it is stored before anything that can fail and reused by every retry, so
// the model composes exactly one mail per mail sent (SPEC §12), with the model answering 429s and 500s and the
// transport failing now and then.
import { CreateCaseDocument } from '../../schema/generated/graphql';
import { createLocalTransport } from '../../src/mail/local.transport';
import type { MailTransport, OutboundMail } from '../../src/mail/mail.types';
import { answer, startOpenAIFake, type FakeChatRequest, type OpenAIFake } from '../fakes/openai-fake';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { CaseProbe } from '../helpers/case.probe';

const CASES = 24;

/** Fails the first send of every third case, and of every second case whose mail goes to a real provider. */
function flaky(base: MailTransport, name: MailTransport['name'], recordsOnly: boolean) {
  const attempts = new Map<string, number>();
  let cases = 0;
  const failing = new Set<string>();
  const transport: MailTransport = {
    name,
    recordsOnly,
    send: async (mail: OutboundMail) => {
      if (!attempts.has(mail.caseId) && (cases++ % 3 === 0 || (!recordsOnly && cases % 2 === 0)))
        failing.add(mail.caseId);
      const n = (attempts.get(mail.caseId) ?? 0) + 1;
      attempts.set(mail.caseId, n);
      if (failing.has(mail.caseId) && n === 1) throw new Error('mail server unavailable');
      return base.send(mail);
    },
  };
  return { transport, failed: () => failing.size };
}

/** Answers compose with a mail, but refuses every fourth call (429, then 500 by turns) without a client retry. */
function model() {
  let calls = 0;
  let composed = 0;
  const handler = (request: FakeChatRequest) => {
    if (request.callName !== 'compose_message') return answer.error(400, 'no evaluations in this test', false);
    calls += 1;
    if (calls % 4 === 0) return answer.error(calls % 8 === 0 ? 500 : 429, 'fake: try later', false);
    composed += 1;
    return answer.json({ subject: 'W-9', body: `Hello Vera,\nmail ${composed}\nSam` });
  };
  return { handler, composed: () => composed, refused: () => calls - composed };
}

async function run(label: string, name: MailTransport['name'], recordsOnly: boolean) {
  const ai = model();
  const fake: OpenAIFake = await startOpenAIFake(ai.handler);
  const mail = flaky(createLocalTransport(), name, recordsOnly);
  const app: TestApp = await startTestApp(label, {
    transport: mail.transport,
    env: { AGENT: 'openai', OPENAI_BASE_URL: fake.baseURL, WORKER_CONCURRENCY: '4' },
  });
  try {
    const probe = new CaseProbe(app);
    const ids = await Promise.all(
      Array.from({ length: CASES }, async (_, i) => {
        const input = caseInput({ counterparty: { address: `vendor${i}@example.com`, name: 'Vera Vendor' } });
        return (await app.client.ok(CreateCaseDocument, { input })).createCase.id;
      }),
    );
    for (const id of ids) await probe.status(id, 'RUNNING', 60_000);
    for (const id of ids) expect(await probe.outbound(id)).toMatchObject([{ status: 'sent' }]);
    expect(mail.failed()).toBeGreaterThan(0);
    expect(ai.refused()).toBeGreaterThan(0);
    expect(ai.composed()).toBe(CASES);
    const [left] = (await app.offload.db.query(`SELECT count(*)::int AS n FROM composed_drafts`)) as { n: number }[];
    expect(left!.n).toBe(0);
  } finally {
    await app.stop();
    await fake.stop();
  }
}

it('composes once per mail sent when the transport only records (the mail is sent in the step)', async () => {
  await run('compose-once-local', 'local', true);
}, 90_000);

it('composes once per mail sent when the transport sends after the step commits', async () => {
  await run('compose-once-smtp', 'smtp', false);
}, 90_000);
