// The case API over real HTTP on a real database: auth, validation, tenancy, pagination, usage, idempotency.
import {
  CancelCaseDocument,
  CreateCaseDocument,
  GetCaseDocument,
  GetUsageDocument,
  ListCasesDocument,
  SubmitInputDocument,
} from '../../schema/generated/graphql';
import { GraphQLClient } from '../helpers/graphql-client';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';

let app: TestApp;

beforeAll(async () => {
  // A time scale that keeps every follow-up far away: these tests look at the API, not the worker.
  app = await startTestApp('foundation', { env: { OFFLOAD_TIME_SCALE: '1' } });
});
afterAll(async () => app?.stop());

describe('auth', () => {
  it('refuses a request without a key, with UNAUTHENTICATED and 401', async () => {
    const anonymous = new GraphQLClient(app.url, null);
    const result = await anonymous.request(GetUsageDocument, {});
    expect(result.status).toBe(401);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('accepts Authorization: Bearer as well as x-api-key', async () => {
    const bearer = new GraphQLClient(app.url, null);
    const result = await bearer.request(GetUsageDocument, {}, { authorization: `Bearer ${app.apiKey}` });
    expect(result.data?.usage.plan).toBe('BASE_PRO');
  });

  it('refuses a revoked key with FORBIDDEN', async () => {
    const other = await app.newAccount('SANDBOX');
    expect(await app.offload.services.accounts.revokeKey(other.apiKey)).toBe(true);
    const result = await other.client.request(GetUsageDocument, {});
    expect(result.status).toBe(403);
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('createCase', () => {
  it('stores the case as CREATED with the seed defaults and queues CASE_CREATED in the same transaction', async () => {
    const { createCase } = await app.client.ok(CreateCaseDocument, {
      input: caseInput({ clientReferenceId: 'ref-1' }),
    });
    expect(createCase).toMatchObject({
      status: 'CREATED',
      attemptCount: 0,
      maxAttempts: 3,
      followUpDelayHours: 72,
      nextActionAt: null,
      inputRequestStatus: 'NONE',
      clientReferenceId: 'ref-1',
    });
    const jobs: Array<{ data: { type: string; caseId: string } }> = await app.offload.db.query(
      `SELECT data FROM pgboss.job WHERE name = 'case-events' AND data->>'caseId' = $1`,
      [createCase.id],
    );
    expect(jobs.map((j) => j.data.type)).toContain('CASE_CREATED');
  });

  it.each([
    ['counterparty.address', { counterparty: { address: 'not-an-email', name: 'V' } }],
    ['followUpDelayHours', { followUpDelayHours: 0 }],
    ['maxAttempts', { maxAttempts: 21 }],
    ['clientWebhookUrl', { clientWebhookUrl: 'ftp://example.com/hook' }],
    // An SMS case's counterparty is an E.164 number, not the default input's email address.
    ['counterparty.address', { channel: 'SMS' }],
    ['counterparty.address', { channel: 'SMS', counterparty: { address: '+1415555', name: 'Short' } }],
    ['goal.objective', { goal: { objective: '   ' } }],
    ['goal.objective', { goal: { objective: 'x'.repeat(5000) } }],
    ['resultSchema', { resultSchema: { type: 'not-a-type' } }],
    ['counterparty.timezone', { counterparty: { address: 'a@example.com', name: 'A', timezone: 'Mars/Olympus' } }],
    ['metadata', { metadata: { blob: 'x'.repeat(70_000) } }],
    // An own "__proto__" key (as JSON.parse makes) cannot be stored and read back as sent.
    ['metadata.__proto__', { metadata: JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown> }],
  ])('refuses a bad %s with BAD_USER_INPUT naming the field', async (field, override) => {
    const result = await app.client.request(CreateCaseDocument, { input: caseInput(override) as never });
    const error = result.errors?.[0];
    expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
    const fields = (error?.extensions?.fields as Array<{ path: string }>).map((f) => f.path);
    expect(fields).toContain(field);
  });

  it('refuses a missing required field before it reaches the service', async () => {
    const input = caseInput();
    delete (input as Partial<typeof input>).senderPersona;
    const result = await app.client.request(CreateCaseDocument, { input: input as never });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toContain('senderPersona');
  });

  it('returns the first case for a repeated idempotencyKey and refuses the key with other input', async () => {
    const input = caseInput({ clientReferenceId: 'idem' });
    const first = await app.client.ok(CreateCaseDocument, { input, idempotencyKey: 'key-1' });
    const again = await app.client.ok(CreateCaseDocument, { input, idempotencyKey: 'key-1' });
    expect(again.createCase.id).toBe(first.createCase.id);
    const code = await app.client.errorCode(CreateCaseDocument, {
      input: caseInput({ clientReferenceId: 'other' }),
      idempotencyKey: 'key-1',
    });
    expect(code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('gives one case for concurrent requests with one idempotencyKey', async () => {
    const input = caseInput({ clientReferenceId: 'race' });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => app.client.ok(CreateCaseDocument, { input, idempotencyKey: 'race-key' })),
    );
    expect(new Set(results.map((r) => r.createCase.id)).size).toBe(1);
  });
});

describe('tenancy', () => {
  it("answers another account's case exactly like a missing one", async () => {
    const { createCase } = await app.client.ok(CreateCaseDocument, { input: caseInput() });
    const stranger = await app.newAccount('BASE_PRO', 'stranger');
    expect((await stranger.client.ok(GetCaseDocument, { id: createCase.id })).case).toBeNull();
    expect((await stranger.client.ok(GetCaseDocument, { id: '00000000-0000-4000-8000-000000000000' })).case).toBeNull();
    const cancel = await stranger.client.errorCode(CancelCaseDocument, { id: createCase.id });
    const missing = await stranger.client.errorCode(CancelCaseDocument, { id: '00000000-0000-4000-8000-000000000000' });
    expect(cancel).toBe('CASE_NOT_FOUND');
    expect(missing).toBe('CASE_NOT_FOUND');
    const list = await stranger.client.ok(ListCasesDocument, {});
    expect(list.cases.edges).toHaveLength(0);
  });
});

describe('cases', () => {
  it('pages newest first with cursors and filters', async () => {
    const owner = await app.newAccount('BASE_PRO', 'pager');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { createCase } = await owner.client.ok(CreateCaseDocument, {
        input: caseInput({ clientReferenceId: i % 2 ? 'odd' : 'even' }),
      });
      ids.push(createCase.id);
    }
    const page1 = await owner.client.ok(ListCasesDocument, { first: 2 });
    expect(page1.cases.edges.map((e) => e.node.id)).toEqual([ids[4], ids[3]]);
    expect(page1.cases.pageInfo.hasNextPage).toBe(true);
    const page2 = await owner.client.ok(ListCasesDocument, { first: 2, after: page1.cases.pageInfo.endCursor });
    expect(page2.cases.edges.map((e) => e.node.id)).toEqual([ids[2], ids[1]]);
    const page3 = await owner.client.ok(ListCasesDocument, { first: 2, after: page2.cases.pageInfo.endCursor });
    expect(page3.cases.edges.map((e) => e.node.id)).toEqual([ids[0]]);
    expect(page3.cases.pageInfo.hasNextPage).toBe(false);
    const odd = await owner.client.ok(ListCasesDocument, { filter: { clientReferenceId: 'odd' } });
    expect(odd.cases.edges.map((e) => e.node.id)).toEqual([ids[3], ids[1]]);
    expect(await owner.client.errorCode(ListCasesDocument, { after: 'garbage' })).toBe('BAD_USER_INPUT');
    expect(await owner.client.errorCode(ListCasesDocument, { first: 1000 })).toBe('BAD_USER_INPUT');
  });
});

describe('usage', () => {
  it('lets exactly 5 of 20 concurrent creates through at 95 of 100', async () => {
    const sandbox = await app.newAccount('SANDBOX', 'capped');
    await app.offload.db.query(
      `INSERT INTO account_usage (account_id, month, created_count) VALUES ($1, date_trunc('month', now() AT TIME ZONE 'UTC')::date, 95)`,
      [sandbox.accountId],
    );
    const results = await Promise.all(
      Array.from({ length: 20 }, () => sandbox.client.request(CreateCaseDocument, { input: caseInput() })),
    );
    const ok = results.filter((r) => r.data?.createCase);
    const refused = results.filter((r) => r.errors?.[0]?.extensions?.code === 'USAGE_LIMIT_REACHED');
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(15);
    const { usage } = await sandbox.client.ok(GetUsageDocument, {});
    expect(usage).toEqual({
      plan: 'SANDBOX',
      limit: 100,
      unlimited: false,
      createdThisMonth: 100,
      billableThisMonth: 0,
    });
  });

  it('refuses creation when billable finished cases reach the cap', async () => {
    const payg = await app.newAccount('PAYG', 'billable');
    await app.offload.db.query(
      `INSERT INTO account_usage (account_id, month, created_count, billable_count)
       VALUES ($1, date_trunc('month', now() AT TIME ZONE 'UTC')::date, 10, 100)`,
      [payg.accountId],
    );
    expect(await payg.client.errorCode(CreateCaseDocument, { input: caseInput() })).toBe('USAGE_LIMIT_REACHED');
  });
});

describe('submitInput and cancelCase', () => {
  it('refuses input for a case that is not waiting for it', async () => {
    const { createCase } = await app.client.ok(CreateCaseDocument, { input: caseInput() });
    const code = await app.client.errorCode(SubmitInputDocument, {
      input: { caseId: createCase.id, inputRequestId: createCase.id, providedContext: 'hello' },
    });
    expect(code).toBe('CASE_NOT_WAITING_FOR_INPUT');
  });

  it('cancels a live case into FAILED/cancelled and leaves a finished one alone', async () => {
    const { createCase } = await app.client.ok(CreateCaseDocument, { input: caseInput() });
    const { cancelCase } = await app.client.ok(CancelCaseDocument, { id: createCase.id, reason: 'no longer needed' });
    expect(cancelCase).toMatchObject({
      status: 'FAILED',
      resultStatus: 'cancelled',
      failureReason: 'no longer needed',
    });
    const again = await app.client.ok(CancelCaseDocument, { id: createCase.id, reason: 'twice' });
    expect(again.cancelCase.failureReason).toBe('no longer needed');
  });
});
