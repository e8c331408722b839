// Campaigns (SPEC §14): createCases and POST /cases/batch (each input answered on its own, the month's cap exact
// across a batch, idempotency keys), and an operator's own monthly limit (or none) as Usage reports it.
import {
  CancelCaseDocument,
  CreateCaseDocument,
  CreateCasesDocument,
  GetCaseDocument,
  GetUsageDocument,
} from '../../schema/generated/graphql';
import { RESULT_SCHEMA_BOUNDS, resultSchemaFootprint } from '../../src/services/cases/result-schema.policy';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { waitForStatus } from '../helpers/wait';
import { WebhookReceiver } from '../fakes/webhook-receiver';

let app: TestApp;

beforeAll(async () => {
  // Every request authenticates afresh, so an operator's change shows at once.
  app = await startTestApp('campaigns', { env: { AUTH_CACHE_SECONDS: '0' } });
});
afterAll(async () => app?.stop());

/** Sets what an account has created this UTC month, as if it had. */
async function usedThisMonth(accountId: string, created: number): Promise<void> {
  await app.offload.db.query(
    `INSERT INTO account_usage (account_id, month, created_count)
     VALUES ($1, date_trunc('month', now() AT TIME ZONE 'UTC')::date, $2)
     ON CONFLICT (account_id, month) DO UPDATE SET created_count = EXCLUDED.created_count`,
    [accountId, created],
  );
}

const inputs = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) =>
    caseInput({
      clientReferenceId: `${tag}-${i}`,
      counterparty: { address: `vendor${i}@example.com`, name: `Vendor ${i}` },
      resultSchema: { type: 'object', properties: { [`field${i}`]: { type: 'string' }, tag: { const: tag } } },
    }),
  );

const countCases = async (accountId: string): Promise<number> =>
  Number(
    (
      (await app.offload.db.query(`SELECT count(*) AS n FROM cases WHERE account_id = $1`, [accountId])) as [
        { n: string },
      ]
    )[0].n,
  );

describe('createCases', () => {
  it('answers each input on its own: a bad one does not stop the others, and the created ones run', async () => {
    const owner = await app.newAccount('BASE_PRO', 'partial');
    const batch = inputs(4, 'partial');
    batch[1] = caseInput({ counterparty: { address: 'not-an-email', name: 'Bad' } });
    batch[3] = caseInput({ resultSchema: { type: 'no-such-type' } });
    const { createCases } = await owner.client.ok(CreateCasesDocument, { inputs: batch });
    expect(createCases.map((r) => [r.index, r.case ? 'case' : r.error?.code])).toEqual([
      [0, 'case'],
      [1, 'BAD_USER_INPUT'],
      [2, 'case'],
      [3, 'BAD_USER_INPUT'],
    ]);
    expect(createCases[1]!.error!.fields).toEqual(['counterparty.address']);
    expect(createCases[3]!.error!.fields).toEqual(['resultSchema']);
    expect(createCases[0]!.case).toMatchObject({ status: 'CREATED', clientReferenceId: 'partial-0' });
    expect(createCases[2]!.case!.resultSchema).toEqual({
      type: 'object',
      properties: { field2: { type: 'string' }, tag: { const: 'partial' } },
    });
    // Each created case got its first job: the worker sends the outreach.
    for (const result of [createCases[0]!, createCases[2]!]) {
      const read = async (id: string) => (await owner.client.ok(GetCaseDocument, { id })).case;
      await waitForStatus(read, result.case!.id, 'RUNNING');
    }
    expect(await countCases(owner.accountId)).toBe(2);
  });

  it("sends each created case's webhooks to its clientWebhookUrl, as createCase does", async () => {
    const owner = await app.newAccount('BASE_PRO', 'hooks');
    const receiver = await WebhookReceiver.start();
    try {
      const batch = inputs(3, 'hooks').map((i) => ({ ...i, clientWebhookUrl: receiver.url() }));
      const { createCases } = await owner.client.ok(CreateCasesDocument, { inputs: batch });
      const ids = createCases.map((r) => r.case!.id);
      // A case's own URL gets the seed's events (completed, failed, input_needed): cancelling fails each one.
      for (const id of ids) await owner.client.ok(CancelCaseDocument, { id, reason: 'campaign stopped' });
      const received = await receiver.waitForRequests(3, 20_000);
      const events = received.map((r) => JSON.parse(r.rawBody) as { event_type: string; data: { caseId: string } });
      expect(events.map((e) => [e.event_type, e.data.caseId]).sort()).toEqual(
        ids.map((id) => ['case.failed', id]).sort(),
      );
    } finally {
      await receiver.close();
    }
  });

  it('answers SMS_CONVERSATION_BUSY per input for a number already texted, in the batch or by an open case', async () => {
    const owner = await app.newAccount('BASE_PRO', 'sms-batch');
    const text = (address: string) => caseInput({ channel: 'SMS', counterparty: { address, name: 'Driver' } });
    const first = await owner.client.ok(CreateCasesDocument, { inputs: [text('+14155550101')] });
    expect(first.createCases[0]!.case).not.toBeNull();
    const { createCases } = await owner.client.ok(CreateCasesDocument, {
      inputs: [text('+14155550101'), text('+14155550102'), text('+14155550102'), inputs(1, 'sms-mix')[0]!],
    });
    expect(createCases.map((r) => (r.case ? 'case' : r.error!.code))).toEqual([
      'SMS_CONVERSATION_BUSY',
      'case',
      'SMS_CONVERSATION_BUSY',
      'case',
    ]);
    expect(createCases[0]!.error!.fields).toEqual(['counterparty.address']);
    expect(await countCases(owner.accountId)).toBe(3);
  });

  it('creates exactly what is left of the month: 3 of 5 at 97 of 100, the rest refused as createCase would be', async () => {
    const sandbox = await app.newAccount('SANDBOX', 'exact');
    await usedThisMonth(sandbox.accountId, 97);
    const { createCases } = await sandbox.client.ok(CreateCasesDocument, { inputs: inputs(5, 'exact') });
    expect(createCases.map((r) => (r.case ? 'case' : r.error!.code))).toEqual([
      'case',
      'case',
      'case',
      'USAGE_LIMIT_REACHED',
      'USAGE_LIMIT_REACHED',
    ]);
    const { usage } = await sandbox.client.ok(GetUsageDocument, {});
    expect(usage).toMatchObject({ limit: 100, unlimited: false, createdThisMonth: 100 });
    expect(await sandbox.client.errorCode(CreateCaseDocument, { input: caseInput() })).toBe('USAGE_LIMIT_REACHED');
  });

  it('shares the cap exactly between concurrent batches and single creates', async () => {
    const sandbox = await app.newAccount('SANDBOX', 'concurrent');
    await usedThisMonth(sandbox.accountId, 80);
    const answers = await Promise.all([
      ...Array.from({ length: 3 }, (_, i) => sandbox.client.ok(CreateCasesDocument, { inputs: inputs(10, `c${i}`) })),
      ...Array.from({ length: 5 }, () => sandbox.client.request(CreateCaseDocument, { input: caseInput() })),
    ]);
    const batchCreated = answers
      .slice(0, 3)
      .flatMap((a) => ('createCases' in a ? a.createCases : []))
      .filter((r) => r.case).length;
    const singleCreated = answers.slice(3).filter((a) => 'data' in a && a.data?.createCase).length;
    expect(batchCreated + singleCreated).toBe(20);
    expect(await countCases(sandbox.accountId)).toBe(20);
    expect((await sandbox.client.ok(GetUsageDocument, {})).usage.createdThisMonth).toBe(100);
  });

  it('refuses more than 100 inputs as a whole, naming inputs', async () => {
    const result = await app.client.request(CreateCasesDocument, { inputs: inputs(101, 'big') });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/^inputs: must hold at most 100 inputs/);
    expect(await countCases(app.accountId)).toBe(0);
  });

  it('takes 100 inputs in one call', async () => {
    const owner = await app.newAccount('BASE_PRO', 'hundred');
    const { createCases } = await owner.client.ok(CreateCasesDocument, { inputs: inputs(100, 'hundred') });
    expect(createCases.filter((r) => r.case)).toHaveLength(100);
    expect(createCases.map((r) => r.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(new Set(createCases.map((r) => r.case!.id)).size).toBe(100);
  });

  it('creating many cases with distinct resultSchemas leaves the schema check bounded (no per-create ajv leak)', async () => {
    const owner = await app.newAccount('BASE_PRO', 'schemas');
    for (let round = 0; round < 3; round++) {
      const { createCases } = await owner.client.ok(CreateCasesDocument, { inputs: inputs(100, `schemas${round}`) });
      expect(createCases.every((r) => r.case)).toBe(true);
      const footprint = resultSchemaFootprint();
      expect(footprint.compiles).toBeLessThanOrEqual(RESULT_SCHEMA_BOUNDS.compilesPerEngine);
      expect(footprint.ajvCache).toBeLessThanOrEqual(2);
    }
  });

  it('an idempotencyKey replays the same results without creating again; another body with it is refused', async () => {
    const owner = await app.newAccount('BASE_PRO', 'idempotent');
    const batch = inputs(3, 'idem');
    batch[2] = caseInput({ counterparty: { address: 'nope', name: 'Bad' } });
    const first = await owner.client.ok(CreateCasesDocument, { inputs: batch, idempotencyKey: 'campaign-1' });
    const again = await owner.client.ok(CreateCasesDocument, { inputs: batch, idempotencyKey: 'campaign-1' });
    expect(again.createCases.map((r) => [r.index, r.case?.id ?? null, r.error?.code ?? null])).toEqual(
      first.createCases.map((r) => [r.index, r.case?.id ?? null, r.error?.code ?? null]),
    );
    expect(first.createCases.filter((r) => r.case)).toHaveLength(2);
    expect(await countCases(owner.accountId)).toBe(2);
    expect((await owner.client.ok(GetUsageDocument, {})).usage.createdThisMonth).toBe(2);

    const other = await owner.client.request(CreateCasesDocument, {
      inputs: inputs(3, 'other'),
      idempotencyKey: 'campaign-1',
    });
    expect(other.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // The key of a batch is no createCase's key either.
    expect(await owner.client.errorCode(CreateCaseDocument, { input: caseInput(), idempotencyKey: 'campaign-1' })).toBe(
      'IDEMPOTENCY_KEY_REUSED',
    );
    // Concurrent retries with one key still create once.
    const racing = await Promise.all(
      Array.from({ length: 4 }, () =>
        owner.client.ok(CreateCasesDocument, { inputs: inputs(2, 'race'), idempotencyKey: 'campaign-2' }),
      ),
    );
    const ids = new Set(racing.flatMap((r) => r.createCases.map((c) => c.case!.id)));
    expect(ids.size).toBe(2);
    expect(await countCases(owner.accountId)).toBe(4);
    expect((await owner.client.ok(GetUsageDocument, {})).usage.createdThisMonth).toBe(4);
  });
});

interface RestAnswer {
  status: number;
  body: { ok: boolean; data?: any; error?: { code: string; message: string } }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function postBatch(key: string, body: unknown): Promise<RestAnswer> {
  const res = await fetch(`${app.url}/cases/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as RestAnswer['body'] };
}

describe('POST /cases/batch', () => {
  it('answers per input in the reference envelope, with the cap exact and REST error codes', async () => {
    const payg = await app.newAccount('PAYG', 'rest-batch');
    await usedThisMonth(payg.accountId, 98);
    const batch: unknown[] = inputs(3, 'rest');
    batch.splice(1, 0, { channel: 'EMAIL', goal: {}, counterparty: { address: 'a@example.com', name: 'A' } });
    const answer = await postBatch(payg.apiKey, { inputs: batch });
    expect(answer.status).toBe(200);
    expect(answer.body.ok).toBe(true);
    const results = answer.body.data.results as Array<{ index: number; case?: any; error?: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(results.map((r) => [r.index, r.case ? 'case' : r.error.code])).toEqual([
      [0, 'case'],
      [1, 'INVALID_REQUEST'],
      [2, 'case'],
      [3, 'USAGE_LIMIT_REACHED'],
    ]);
    expect(results[1]!.error.fields).toEqual(expect.arrayContaining(['goal.objective', 'senderPersona']));
    // The case in the GET /cases/{id} shape: ms timestamps, the sentinel, no metadata.
    expect(results[0]!.case).toMatchObject({
      caseId: expect.any(String),
      status: 'CREATED',
      clientReferenceId: 'rest-0',
      createdAt: expect.any(Number),
    });
  });

  it('refuses more than 100 inputs, a body without inputs, and a reused key, as the reference would', async () => {
    const owner = await app.newAccount('BASE_PRO', 'rest-refusals');
    const big = await postBatch(owner.apiKey, { inputs: inputs(101, 'big') });
    expect([big.status, big.body.error?.code]).toEqual([400, 'INVALID_REQUEST']);
    expect(big.body.error?.message).toMatch(/^inputs: /);
    const none = await postBatch(owner.apiKey, {});
    expect([none.status, none.body.error?.code]).toEqual([400, 'INVALID_REQUEST']);

    const first = await postBatch(owner.apiKey, { inputs: inputs(2, 'k'), idempotencyKey: 'rest-1' });
    const again = await postBatch(owner.apiKey, { inputs: inputs(2, 'k'), idempotencyKey: 'rest-1' });
    expect(again.body.data.results).toEqual(first.body.data.results);
    const reused = await postBatch(owner.apiKey, { inputs: inputs(1, 'k'), idempotencyKey: 'rest-1' });
    expect([reused.status, reused.body.error?.code]).toEqual([409, 'INVALID_REQUEST']);
    expect(await countCases(owner.accountId)).toBe(2);
  });
});

describe('an operator-set monthly limit', () => {
  it('replaces the plan cap for createCase and createCases, and none lifts it', async () => {
    const acct = await app.newAccount('SANDBOX', 'custom');
    await app.offload.services.accounts.setMonthlyLimit(acct.accountId, 3);
    expect((await acct.client.ok(GetUsageDocument, {})).usage).toMatchObject({ limit: 3, unlimited: false });
    const { createCases } = await acct.client.ok(CreateCasesDocument, { inputs: inputs(4, 'custom') });
    expect(createCases.map((r) => (r.case ? 'case' : r.error!.code))).toEqual([
      'case',
      'case',
      'case',
      'USAGE_LIMIT_REACHED',
    ]);

    await app.offload.services.accounts.setMonthlyLimit(acct.accountId, 'none');
    await usedThisMonth(acct.accountId, 5000);
    expect((await acct.client.ok(GetUsageDocument, {})).usage).toEqual({
      plan: 'SANDBOX',
      limit: 2147483647,
      unlimited: true,
      createdThisMonth: 5000,
      billableThisMonth: 0,
    });
    await acct.client.ok(CreateCaseDocument, { input: caseInput() });
    const more = await acct.client.ok(CreateCasesDocument, { inputs: inputs(2, 'unlimited') });
    expect(more.createCases.every((r) => r.case)).toBe(true);
    expect((await acct.client.ok(GetUsageDocument, {})).usage.createdThisMonth).toBe(5003);

    await app.offload.services.accounts.setMonthlyLimit(acct.accountId, 'plan');
    expect((await acct.client.ok(GetUsageDocument, {})).usage).toMatchObject({ limit: 100, unlimited: false });
    expect(await acct.client.errorCode(CreateCaseDocument, { input: caseInput() })).toBe('USAGE_LIMIT_REACHED');
  });
});

describe('the per-key rate limit', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await startTestApp('campaigns-rate', { env: { RATE_LIMIT_PER_MINUTE: '25' } });
  });
  afterAll(async () => limited?.stop());

  it('counts a batch as one request per 10 inputs, on GraphQL and REST, and refuses it whole when over', async () => {
    // The budget is per clock minute: start well inside one.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
    const first = await limited.client.ok(CreateCasesDocument, { inputs: inputs(100, 'rate-a') });
    expect(first.createCases.every((r) => r.case)).toBe(true);
    const rest = await fetch(`${limited.url}/cases/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': limited.apiKey },
      body: JSON.stringify({ inputs: inputs(100, 'rate-b') }),
    });
    expect(rest.status).toBe(200);
    // 20 of 25 taken: a third batch of 100 is refused as a whole, on either face.
    const third = await limited.client.request(CreateCasesDocument, { inputs: inputs(100, 'rate-c') });
    expect(third.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    const refused = await fetch(`${limited.url}/cases/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': limited.apiKey },
      body: JSON.stringify({ inputs: inputs(100, 'rate-d') }),
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await countCasesIn(limited, limited.accountId)).toBe(200);
  });
});

async function countCasesIn(target: TestApp, accountId: string): Promise<number> {
  const rows = (await target.offload.db.query(`SELECT count(*) AS n FROM cases WHERE account_id = $1`, [
    accountId,
  ])) as [{ n: string }];
  return Number(rows[0].n);
}
