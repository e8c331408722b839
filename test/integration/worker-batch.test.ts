// A fetched batch of plain steps shares one transaction (case-step.service.ts): every case still gets exactly its own
// transition and mail, a redelivered step inside a batch is skipped, and one failing step fails only its own job.
import { CreateCaseDocument } from '../../schema/generated/graphql';
import type { Agent, ComposeRequest } from '../../src/agent/agent.types';
import { RulesAgent } from '../../src/agent/rules.agent';
import type { CaseJob } from '../../src/jobs/job.catalog';
import { createLocalTransport } from '../../src/mail/local.transport';
import type { MailTransport, OutboundMail } from '../../src/mail/mail.types';
import { createLogger } from '../../src/observability/logger.factory';
import { CaseWorker } from '../../src/services/worker/case-job.service';
import { WebhookOutboxService } from '../../src/services/webhooks/webhook-outbox.service';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { CaseProbe, timelineTypes } from '../helpers/case.probe';

let app: TestApp;
let probe: CaseProbe;

// The API alone: no worker consumes the queue, the test hands batches to a CaseWorker of its own.
beforeAll(async () => {
  app = await startTestApp('worker-batch', { role: 'api' });
  probe = new CaseProbe(app);
});
afterAll(async () => app?.stop());

function workerWith(agent: Agent, transport: MailTransport = createLocalTransport()): CaseWorker {
  const { db, boss } = app.offload;
  const ctx = { db, boss, config: app.config, clock: () => new Date(), logger: createLogger('silent') };
  const services = { ...ctx, changes: { changed: () => {} } };
  return new CaseWorker({ ...services, webhooks: new WebhookOutboxService(services) }, agent, transport);
}

async function newCase(address = `v${Math.random().toString(36).slice(2)}@example.com`): Promise<string> {
  const input = caseInput({ counterparty: { address, name: 'Vera Vendor' }, followUpDelayHours: 720 });
  return (await app.client.ok(CreateCaseDocument, { input })).createCase.id;
}

const created = (caseId: string): CaseJob => ({ type: 'CASE_CREATED', caseId, key: `${caseId}:created` });

/** Follow-ups scheduled: the row's next_action_at ahead (the due-poll queues the job when it falls due). */
async function followUpJobs(caseId: string): Promise<number> {
  const [row] = (await app.offload.db.query(
    `SELECT count(*)::int AS n FROM cases WHERE id = $1 AND status = 'RUNNING' AND next_action_at > now()`,
    [caseId],
  )) as { n: number }[];
  return row!.n;
}

it('each case of a batch gets its own transition, mail and follow-up', async () => {
  const ids = [await newCase(), await newCase(), await newCase()];
  const outcomes = await workerWith(new RulesAgent()).handleBatch(ids.map(created));
  expect(outcomes).toEqual([null, null, null]);
  for (const id of ids) {
    const detail = await probe.detail(id);
    expect(detail).toMatchObject({ status: 'RUNNING', attemptCount: 1 });
    expect(timelineTypes(detail)).toEqual(['case.created', 'outreach.sent']);
    const outbound = await probe.outbound(id);
    expect(outbound).toHaveLength(1);
    expect(outbound[0]).toMatchObject({ purpose: 'outreach', status: 'sent', send_attempts: 1 });
    expect(await followUpJobs(id)).toBe(1);
  }
});

it('a redelivered step in a batch changes nothing; the others are applied', async () => {
  const worker = workerWith(new RulesAgent());
  const done = await newCase();
  expect(await worker.handleBatch([created(done)])).toEqual([null]);
  const fresh = await newCase();
  expect(await worker.handleBatch([created(done), created(fresh)])).toEqual([null, null]);
  expect(await probe.outbound(done)).toHaveLength(1);
  expect(timelineTypes(await probe.detail(done))).toEqual(['case.created', 'outreach.sent']);
  expect(await followUpJobs(done)).toBe(1);
  expect((await probe.detail(fresh)).status).toBe('RUNNING');
  expect(await probe.outbound(fresh)).toHaveLength(1);
});

it('a step that fails fails only its own job', async () => {
  const rules = new RulesAgent();
  const agent: Agent = {
    name: rules.name,
    evaluate: (context) => rules.evaluate(context),
    compose: async (request: ComposeRequest) => {
      if (request.context.counterparty.address === 'broken@example.com') throw new Error('model down');
      return rules.compose(request);
    },
  };
  const ok = await newCase();
  const broken = await newCase('broken@example.com');
  const outcomes = await workerWith(agent).handleBatch([created(ok), created(broken)]);
  expect(outcomes[0]).toBeNull();
  expect(outcomes[1]).toBeInstanceOf(Error);
  expect(outcomes[1]!.message).toContain('model down');
  expect((await probe.detail(ok)).status).toBe('RUNNING');
  expect((await probe.detail(broken)).status).toBe('CREATED');
  expect(await probe.outbound(broken)).toHaveLength(0);
});

it('with a transport that really sends, the mail composed ahead leaves once, after the commit', async () => {
  const sent: OutboundMail[] = [];
  const transport: MailTransport = {
    name: 'smtp',
    send: async (mail) => {
      sent.push(mail);
      return { providerMessageId: `p-${sent.length}` };
    },
  };
  const ids = [await newCase(), await newCase()];
  expect(await workerWith(new RulesAgent(), transport).handleBatch(ids.map(created))).toEqual([null, null]);
  expect(sent.map((m) => m.caseId).sort()).toEqual([...ids].sort());
  for (const id of ids) {
    const outbound = await probe.outbound(id);
    expect(outbound).toHaveLength(1);
    expect(outbound[0]).toMatchObject({ status: 'sent', send_attempts: 1 });
    expect((await probe.detail(id)).status).toBe('RUNNING');
  }
  // The queued send was the safety net only: the transaction that recorded the send deleted it.
  const [left] = (await app.offload.db.query(
    `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'case-events' AND data->>'type' = 'SEND_MESSAGE'
        AND data->>'caseId' = ANY($1)`,
    [ids],
  )) as { n: number }[];
  expect(left!.n).toBe(0);
});
