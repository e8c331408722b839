// The reference-compatible REST routes over real HTTP: envelopes, shapes (ms timestamps, the nextActionAt sentinel,
// the omitted fields), status codes and error codes, served by the same services as GraphQL.
import { CancelCaseDocument, GetCaseDocument } from '../../schema/generated/graphql';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { pdf, reply } from '../helpers/reply.helper';
import { waitFor, waitForStatus } from '../helpers/wait';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp('rest');
});
afterAll(async () => app?.stop());

interface Answer {
  status: number;
  body: { ok: boolean; data?: any; error?: { code: string; message: string } }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(method: string, path: string, body?: unknown, key: string | null = app.apiKey): Promise<Answer> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

async function create(overrides: Record<string, unknown> = {}): Promise<string> {
  const answer = await call('POST', '/cases', caseInput(overrides));
  expect(answer.status).toBe(201);
  return answer.body.data.caseId as string;
}

/** The case as GET /cases/{id} answers it (the reference shape). */
const restCase = async (id: string) => (await call('GET', `/cases/${id}`)).body.data;

const errorOf = (a: Answer) => [a.status, a.body.ok, a.body.error?.code];

describe('POST /cases and GET /cases/{id}', () => {
  it('creates a case and reads it back in the reference shape', async () => {
    const id = await create({
      clientReferenceId: 'vendor_2048',
      metadata: { vendorId: 'v1' },
      clientWebhookUrl: 'https://hooks.example.com/offload',
      constraints: ['Email only'],
      goal: { objective: 'Collect a signed W-9', knowledge: { vendorName: 'Northstar' } },
    });
    const { case: viaGraphQL } = await app.client.ok(GetCaseDocument, { id });
    expect(viaGraphQL?.clientReferenceId).toBe('vendor_2048');

    const running = await waitForStatus(restCase, id, 'RUNNING');
    expect(running).toEqual({
      caseId: id,
      clientReferenceId: 'vendor_2048',
      status: 'RUNNING',
      createdAt: expect.any(Number),
      updatedAt: expect.any(Number),
      nextActionAt: expect.any(Number),
      attemptCount: 1,
      maxAttempts: 3,
      channel: 'EMAIL',
      counterparty: { address: 'vendor@example.com', name: 'Vera Vendor' },
      attachments: [],
      resultStatus: null,
      goal: { objective: 'Collect a signed W-9', knowledge: { vendorName: 'Northstar' } },
      senderPersona: { name: 'Sam Sender', role: 'Accounts payable', company: 'Acme' },
      constraints: ['Email only'],
      inputRequest: null,
    });
    // The outreach scheduled the follow-up followUpDelayHours (72) after it, in Unix milliseconds.
    expect(running.nextActionAt - running.updatedAt).toBe(72 * 3_600_000);
    expect(running.createdAt).toBe(Date.parse(viaGraphQL!.createdAt));
  });

  it('answers the nextActionAt sentinel when nothing is scheduled, and a transcript only when asked', async () => {
    const id = await create();
    await app.client.ok(CancelCaseDocument, { id });
    const failed = await waitForStatus(restCase, id, 'FAILED');
    expect(failed.nextActionAt).toBe(253402300799999);
    expect(failed).not.toHaveProperty('conversationThread');
    expect(failed).not.toHaveProperty('failureReason');
    const withTranscript = await call('GET', `/cases/${id}?includeTranscript=true`);
    expect(withTranscript.body.data).toHaveProperty('conversationThread');
  });

  it('accepts startAt in Unix ms or ISO 8601 and a sendWindow, and shows them back', async () => {
    const startAt = Date.now() + 3 * 86_400_000;
    const sendWindow = { days: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'], start: '00:00', end: '23:59' };
    const id = await create({ startAt, sendWindow });
    const created = (await call('GET', `/cases/${id}`)).body.data;
    expect(created).toMatchObject({ status: 'CREATED', startAt, sendWindow: { ...sendWindow, timezone: 'UTC' } });
    expect(created.nextActionAt).toBeGreaterThanOrEqual(startAt);
    expect(created.sendWindow.nextOpenAt).toEqual(expect.any(Number));
    const iso = await create({ startAt: new Date(startAt).toISOString() });
    expect((await call('GET', `/cases/${iso}`)).body.data).toMatchObject({ status: 'CREATED', startAt });
    const refused = await call('POST', '/cases', caseInput({ sendWindow: { ...sendWindow, days: [] } }));
    expect(errorOf(refused)).toEqual([400, false, 'INVALID_REQUEST']);
    expect(refused.body.error?.message).toContain('sendWindow.days');
  });

  it('makes two cases of the same request (the reference has no idempotency key)', async () => {
    const input = caseInput({ clientReferenceId: 'twice' });
    const [a, b] = [await call('POST', '/cases', input), await call('POST', '/cases', input)];
    expect(a.body.data.caseId).not.toBe(b.body.data.caseId);
  });

  it.each([
    ['a bad address', caseInput({ counterparty: { address: 'nope', name: 'V' } })],
    ['a missing goal', { ...caseInput(), goal: undefined }],
    ['a non-positive followUpDelayHours', caseInput({ followUpDelayHours: 0 })],
    ['a non-URL clientWebhookUrl', caseInput({ clientWebhookUrl: 'not a url' })],
    ['malformed JSON', '{"channel": '],
    ['an array body', '[]'],
  ])('refuses %s with 400 INVALID_REQUEST', async (_label, body) => {
    const answer = await call('POST', '/cases', body);
    expect(errorOf(answer)).toEqual([400, false, 'INVALID_REQUEST']);
    expect(answer.body.error?.message).toEqual(expect.any(String));
  });

  it('answers 401 UNAUTHORIZED without a key or with an unknown one, 403 FORBIDDEN for a revoked one', async () => {
    expect(errorOf(await call('POST', '/cases', caseInput(), null))).toEqual([401, false, 'UNAUTHORIZED']);
    expect(errorOf(await call('GET', `/cases/${crypto.randomUUID()}`, undefined, 'ofk_unknown'))).toEqual([
      401,
      false,
      'UNAUTHORIZED',
    ]);
    const revoked = await app.newAccount();
    await app.offload.services.accounts.revokeKey(revoked.apiKey);
    expect(errorOf(await call('POST', '/cases', caseInput(), revoked.apiKey))).toEqual([403, false, 'FORBIDDEN']);
  });

  it("answers 404 CASE_NOT_FOUND for a missing case and for another account's (SPEC: like a missing one)", async () => {
    const id = await create();
    const other = await app.newAccount();
    expect(errorOf(await call('GET', `/cases/${id}`, undefined, other.apiKey))).toEqual([404, false, 'CASE_NOT_FOUND']);
    expect(errorOf(await call('GET', `/cases/${crypto.randomUUID()}`))).toEqual([404, false, 'CASE_NOT_FOUND']);
    expect(errorOf(await call('GET', '/cases/not-a-uuid'))).toEqual([404, false, 'CASE_NOT_FOUND']);
  });

  it('answers 404 in the envelope for a path no route answers (an id of "." normalises to /cases/)', async () => {
    expect(errorOf(await call('GET', '/cases/.'))).toEqual([404, false, 'NOT_FOUND']);
    expect(errorOf(await call('POST', '/no-such-route', {}))).toEqual([404, false, 'NOT_FOUND']);
  });

  it('answers 429 USAGE_LIMIT_REACHED once the plan cap is reached', async () => {
    const capped = await app.newAccount('SANDBOX');
    await app.offload.db.query(
      `INSERT INTO account_usage (account_id, month, created_count) VALUES ($1, date_trunc('month', now() AT TIME ZONE 'UTC'), 100)`,
      [capped.accountId],
    );
    expect(errorOf(await call('POST', '/cases', caseInput(), capped.apiKey))).toEqual([
      429,
      false,
      'USAGE_LIMIT_REACHED',
    ]);
  });
});

describe('POST /cases/{id}/input and attachments', () => {
  it('round-trips a question, an answer and an attachment', async () => {
    const id = await create();
    await waitForStatus(restCase, id, 'RUNNING');
    expect(errorOf(await call('POST', `/cases/${id}/input`, { inputRequestId: 'x', providedContext: 'y' }))).toEqual([
      409,
      false,
      'CASE_NOT_WAITING_FOR_INPUT',
    ]);
    await reply(app, id, 'Which tax year do you need?');
    const waiting = await waitForStatus(restCase, id, 'INPUT_NEEDED');
    expect(waiting.inputRequest).toEqual({
      id: expect.any(String),
      question: expect.stringContaining('Which tax year'),
      status: 'PENDING',
      requestedAt: expect.any(Number),
    });
    const requestId = waiting.inputRequest.id as string;
    const input = (body: unknown) => call('POST', `/cases/${id}/input`, body);
    expect(errorOf(await input({ inputRequestId: requestId, providedContext: '   ' }))).toEqual([
      400,
      false,
      'INVALID_REQUEST',
    ]);
    expect(errorOf(await input({ inputRequestId: crypto.randomUUID(), providedContext: '2025' }))).toEqual([
      409,
      false,
      'INPUT_REQUEST_MISMATCH',
    ]);
    const accepted = await input({ inputRequestId: requestId, providedContext: ' 2025 ' });
    expect(accepted).toEqual({
      status: 202,
      body: { ok: true, data: { caseId: id, inputRequestId: requestId, accepted: true } },
    });
    await waitFor(
      'the answer to be relayed',
      async () => (await waitForStatus(restCase, id, 'RUNNING')).attemptCount === 2,
    );

    await reply(app, id, 'Here is the document, attached.', { attachments: [pdf('%PDF-1')] });
    const completed = await waitForStatus(restCase, id, 'COMPLETED');
    expect(completed).toMatchObject({ resultStatus: 'goal_achieved', result: expect.anything() });
    expect(completed.inputRequest.status).toBe('RESOLVED');
    const [meta] = completed.attachments;
    expect(meta).toEqual({
      attachmentId: expect.any(String),
      name: 'w9.pdf',
      size: 6,
      type: 'application/pdf',
      messageId: expect.any(String),
      inboxId: null,
      receivedAt: expect.any(Number),
    });

    const link = await call('GET', `/cases/${id}/attachments/${meta.attachmentId}`);
    expect(link.status).toBe(200);
    expect(link.body.data).toEqual({ ...meta, downloadUrl: expect.any(String), expiresAt: expect.any(String) });
    expect(new Date(link.body.data.expiresAt).toISOString()).toBe(link.body.data.expiresAt);
    const download = await fetch(link.body.data.downloadUrl);
    expect(Buffer.from(await download.arrayBuffer()).toString()).toBe('%PDF-1');

    const transcript = await call('GET', `/cases/${id}?includeTranscript=true`);
    expect(transcript.body.data.conversationThread).toContain('Here is the document, attached.');
  });

  it('answers the attachment route and input route error codes', async () => {
    const id = await create();
    const other = await app.newAccount();
    const missing = crypto.randomUUID();
    expect(errorOf(await call('GET', `/cases/${id}/attachments/${missing}`))).toEqual([
      404,
      false,
      'ATTACHMENT_NOT_FOUND',
    ]);
    expect(errorOf(await call('GET', `/cases/${id}/attachments/${missing}`, undefined, other.apiKey))).toEqual([
      404,
      false,
      'CASE_NOT_FOUND',
    ]);
    const body = { inputRequestId: missing, providedContext: 'x' };
    expect(errorOf(await call('POST', `/cases/${id}/input`, body, other.apiKey))).toEqual([
      404,
      false,
      'CASE_NOT_FOUND',
    ]);
    // A request already answered (and not yet picked up): set up directly, since a running worker picks it up at once.
    await app.client.ok(CancelCaseDocument, { id });
    await app.offload.db.query(
      `UPDATE cases SET status = 'INPUT_NEEDED', input_request_id = $2, input_request_status = 'RESOLVED',
              input_request_question = 'q', input_requested_at = now() WHERE id = $1`,
      [id, missing],
    );
    expect(errorOf(await call('POST', `/cases/${id}/input`, body))).toEqual([409, false, 'INPUT_REQUEST_NOT_PENDING']);
  });
});
