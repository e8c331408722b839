// The send path's own check, deterministically: cases are created while no worker runs, their addresses are
// suppressed, then a worker starts. The worker's batched step composes each outreach ahead and would send it in its
// own transaction (MAIL_TRANSPORT=local); under the case lock it finds the address suppressed, so no mail is
// recorded as sent and each case ends FAILED/suppressed. A case to an address that is not suppressed goes on.
import { CreateCaseDocument, SuppressAddressDocument } from '../../schema/generated/graphql';
import { CaseProbe, timelineTypes } from '../helpers/case.probe';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';

let api: TestApp;
let worker: TestApp | null = null;
let probe: CaseProbe;

beforeAll(async () => {
  api = await startTestApp('suppression-send', { role: 'api', env: { AGENT: 'rules' } });
  probe = new CaseProbe(api);
});
afterAll(async () => {
  await worker?.stop();
  await api?.stop();
});

it('ends cases to an address suppressed after they were created FAILED/suppressed, sending nothing', async () => {
  const create = async (address: string) =>
    (
      await api.client.ok(CreateCaseDocument, {
        input: caseInput({ counterparty: { address, name: 'Vera' }, followUpDelayHours: 8760 }),
      })
    ).createCase.id;
  const suppressed = [await create('gone@vendor.example'), await create('GONE@vendor.example')];
  const kept = await create('still-here@vendor.example');
  await api.client.ok(SuppressAddressDocument, { address: 'gone@vendor.example' });

  worker = await startTestApp('suppression-send-worker', {
    role: 'worker',
    database: api.database,
    env: { AGENT: 'rules' },
  });

  for (const id of suppressed) {
    const failed = await probe.status(id, 'FAILED');
    expect(failed).toMatchObject({ resultStatus: 'suppressed', attemptCount: 0, nextActionAt: null });
    expect(timelineTypes(failed)).toContain('case.failed');
    expect((await probe.outbound(id)).filter((m) => m.status === 'sent')).toEqual([]);
  }
  const running = await probe.status(kept, 'RUNNING');
  expect(running.attemptCount).toBe(1);
});
