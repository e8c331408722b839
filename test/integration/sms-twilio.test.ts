// SMS_TRANSPORT=twilio end to end (SPEC §13): texts leave through the official SDK against an HTTP fake of Twilio's
// REST API (TWILIO_BASE_URL), texts and status callbacks come back to /webhooks/twilio with signatures computed the
// way Twilio computes them, and the rules agent drives the case. One open SMS case per number; STOP and START;
// failed and undelivered callbacks; a text from a number with no open case is dropped.
import { CancelCaseDocument, CreateCaseDocument } from '../../schema/generated/graphql';
import { newMessageSid, startTwilioFake, twilioSignature, type TwilioFake } from '../fakes/twilio-fake';
import { CaseProbe, timelineTypes } from '../helpers/case.probe';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { waitFor } from '../helpers/wait';

const PUBLIC_URL = 'https://offload.example.com';
const OUR_NUMBER = '+14155550100';
// 3600: an hour of a case's schedule takes a second.
const SCALE = 3600;

let twilio: TwilioFake;
let app: TestApp;
let probe: CaseProbe;

beforeAll(async () => {
  twilio = await startTwilioFake();
  app = await startTestApp('sms-twilio', {
    env: {
      SMS_TRANSPORT: 'twilio',
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: OUR_NUMBER,
      TWILIO_BASE_URL: twilio.baseUrl,
      PUBLIC_URL,
      OFFLOAD_TIME_SCALE: String(SCALE),
    },
  });
  probe = new CaseProbe(app);
});
afterAll(async () => {
  await app?.stop();
  await twilio?.close();
});

let next = 200;
/** A number of its own per case: one open SMS case per number. */
const freshNumber = (): string => `+1415555${String(next++).padStart(4, '0')}`;

const smsInput = (number: string, overrides: Record<string, unknown> = {}) =>
  caseInput({
    channel: 'SMS',
    counterparty: { address: number, name: 'Dana Driver' },
    // Follow-ups stay 12 minutes away unless a test asks for them.
    followUpDelayHours: 720,
    ...overrides,
  });

async function create(number: string, overrides: Record<string, unknown> = {}, client = app.client) {
  return (await client.ok(CreateCaseDocument, { input: smsInput(number, overrides) })).createCase;
}

/** Creates the case and waits for its outreach text at the fake. */
async function running(number: string, overrides: Record<string, unknown> = {}) {
  const created = await create(number, overrides);
  await waitFor(`the outreach text to ${number}`, () => twilio.textsTo(number).length > 0);
  await probe.until(created.id, 'RUNNING', (c) => c.status === 'RUNNING');
  return created;
}

/** POSTs a form to one of our Twilio webhooks, signed as Twilio signs it (unless `signature` replaces it). */
async function post(path: string, form: Record<string, string>, signature?: string | null) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const signed = signature === undefined ? twilioSignature(twilio.authToken, PUBLIC_URL + path, form) : signature;
  if (signed !== null) headers['x-twilio-signature'] = signed;
  const res = await fetch(`${app.url}${path}`, { method: 'POST', headers, body: new URLSearchParams(form) });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

const inboundForm = (from: string, body: string, sid = newMessageSid()) => ({
  AccountSid: twilio.accountSid,
  ApiVersion: '2010-04-01',
  Body: body,
  From: from,
  MessageSid: sid,
  NumMedia: '0',
  NumSegments: '1',
  SmsMessageSid: sid,
  SmsSid: sid,
  SmsStatus: 'received',
  To: OUR_NUMBER,
});

const text = (from: string, body: string, sid?: string) => post('/webhooks/twilio', inboundForm(from, body, sid));

const statusCallback = (sid: string, status: string, errorCode?: number) =>
  post('/webhooks/twilio/status', {
    AccountSid: twilio.accountSid,
    From: OUR_NUMBER,
    MessageSid: sid,
    MessageStatus: status,
    SmsSid: sid,
    SmsStatus: status,
    ...(errorCode ? { ErrorCode: String(errorCode) } : {}),
  });

const inboundCount = async (caseId: string): Promise<number> =>
  (
    await app.offload.db.query(`SELECT count(*)::int AS n FROM messages WHERE case_id = $1 AND direction = 'inbound'`, [
      caseId,
    ])
  )[0].n;

const suppression = async (number: string) =>
  (
    await app.offload.db.query(`SELECT source, case_id FROM suppressions WHERE account_id = $1 AND address = $2`, [
      app.accountId,
      number,
    ])
  )[0] ?? null;

describe('the lifecycle over SMS', () => {
  it('texts the outreach and a follow-up through Twilio, then completes on the counterparty reply', async () => {
    const number = freshNumber();
    const created = await running(number, { followUpDelayHours: 2, maxAttempts: 3 });
    await waitFor('the follow-up text', () => twilio.textsTo(number).length >= 2, 15_000);
    const [outreach, followUp] = twilio.textsTo(number);
    for (const sent of [outreach!, followUp!]) {
      expect(sent.form).toMatchObject({
        To: number,
        From: OUR_NUMBER,
        StatusCallback: `${PUBLIC_URL}/webhooks/twilio/status`,
      });
      expect([...sent.form.Body!].length).toBeLessThanOrEqual(320);
      expect(sent.form.Body).not.toMatch(/Best regards|Subject:/);
    }
    expect(outreach!.form.Body).toContain('Sam Sender');
    expect(followUp!.form.Body).toMatch(/following up/i);

    const reply = await text(number, 'Here is the signed W-9.');
    expect(reply).toMatchObject({ status: 200, type: expect.stringContaining('text/xml') });
    expect(reply.body).toContain('<Response></Response>');
    const done = await probe.status(created.id, 'COMPLETED');
    expect(done.resultStatus).toBe('goal_achieved');
    expect(timelineTypes(done)).toEqual(
      expect.arrayContaining(['case.created', 'outreach.sent', 'follow_up.sent', 'reply.received', 'case.completed']),
    );
    // The transcript is a text thread: our number and theirs, no subjects.
    const outbound = done.messages.filter((m) => m.direction === 'outbound');
    expect(outbound[0]).toMatchObject({ from: OUR_NUMBER, to: [number], subject: null });
    expect(done.messages.find((m) => m.direction === 'inbound')).toMatchObject({
      from: number,
      subject: null,
      text: 'Here is the signed W-9.',
    });
    expect(done.transcript).toContain(`From: ${number}\nTo: ${OUR_NUMBER}`);
    expect(done.transcript).toContain(`From: ${OUR_NUMBER}\nTo: ${number}`);
    expect(done.transcript).not.toContain('Subject:');
    expect(twilio.unauthorized).toBe(0);
  });

  it('holds the outreach while the send window is shut', async () => {
    const number = freshNumber();
    const days = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
    const other = days[(new Date().getUTCDay() + 3) % 7]!;
    const created = await create(number, {
      sendWindow: { days: [other], start: '09:00', end: '10:00', timezone: 'UTC' },
    });
    const held = await probe.until(created.id, 'the hold', (c) => timelineTypes(c).includes('send.held'));
    expect(held.status).toBe('CREATED');
    expect(twilio.textsTo(number)).toEqual([]);
  });
});

describe('createCase with channel SMS', () => {
  it('refuses a counterparty address that is not an E.164 number, naming the field', async () => {
    for (const address of ['vendor@example.com', '4155550123', '+1415555', 'not a number']) {
      const result = await app.client.request(CreateCaseDocument, {
        input: smsInput(address) as never,
      });
      expect(result.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        fields: [expect.objectContaining({ path: 'counterparty.address', message: expect.stringContaining('E.164') })],
      });
    }
    // EMAIL keeps its rules: a phone number is no email address.
    const email = await app.client.request(CreateCaseDocument, {
      input: caseInput({ counterparty: { address: '+14155550123', name: 'X' } }),
    });
    expect(email.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [{ path: 'counterparty.address', message: 'must be a valid email address' }],
    });
    // Our own number is no counterparty.
    expect(await app.client.errorCode(CreateCaseDocument, { input: smsInput(OUR_NUMBER) })).toBe('BAD_USER_INPUT');
  });

  it('keeps one open case per number (SMS_CONVERSATION_BUSY on GraphQL and REST, any account) until it ends', async () => {
    const number = freshNumber();
    const first = await create(number);
    const busy = await app.client.request(CreateCaseDocument, { input: smsInput(number) });
    expect(busy.errors?.[0]).toMatchObject({
      message: expect.stringContaining('already has an open SMS case'),
      extensions: { code: 'SMS_CONVERSATION_BUSY' },
    });
    const other = await app.newAccount('BASE_PRO', 'another tenant');
    expect(await other.client.errorCode(CreateCaseDocument, { input: smsInput(number) })).toBe('SMS_CONVERSATION_BUSY');
    const rest = await fetch(`${app.url}/cases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': app.apiKey },
      body: JSON.stringify(smsInput(number)),
    });
    expect(rest.status).toBe(409);
    expect(((await rest.json()) as { error: { code: string } }).error.code).toBe('SMS_CONVERSATION_BUSY');

    await app.client.ok(CancelCaseDocument, { id: first.id, reason: 'make room' });
    const again = await create(number);
    expect(again.id).not.toBe(first.id);
  });

  it('lets one of many concurrent creates for a number through: the database holds the rule', async () => {
    const number = freshNumber();
    const tries = await Promise.all(
      Array.from({ length: 6 }, () => app.client.request(CreateCaseDocument, { input: smsInput(number) })),
    );
    const codes = tries.map((t) => (t.errors ? t.errors[0]?.extensions?.code : 'created')).sort();
    expect(codes).toEqual([
      'SMS_CONVERSATION_BUSY',
      'SMS_CONVERSATION_BUSY',
      'SMS_CONVERSATION_BUSY',
      'SMS_CONVERSATION_BUSY',
      'SMS_CONVERSATION_BUSY',
      'created',
    ]);
    const [open] = await app.offload.db.query(
      `SELECT count(*)::int AS n FROM cases WHERE channel = 'SMS' AND counterparty->>'address' = $1`,
      [number],
    );
    expect(open.n).toBe(1);
  });

  it('accepts SMS on REST', async () => {
    const number = freshNumber();
    const rest = await fetch(`${app.url}/cases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': app.apiKey },
      body: JSON.stringify(smsInput(number)),
    });
    expect(rest.status).toBe(201);
    await waitFor('the outreach text', () => twilio.textsTo(number).length > 0);
  });
});

describe('/webhooks/twilio', () => {
  it('refuses a missing, forged or tampered signature with 403 and changes nothing', async () => {
    const number = freshNumber();
    const created = await running(number);
    const form = inboundForm(number, 'Here is the signed W-9.');
    const forged = twilioSignature('not-the-token', `${PUBLIC_URL}/webhooks/twilio`, form);
    const otherUrl = twilioSignature(twilio.authToken, `https://elsewhere.example/webhooks/twilio`, form);
    const good = twilioSignature(twilio.authToken, `${PUBLIC_URL}/webhooks/twilio`, form);
    const tampered = await fetch(`${app.url}/webhooks/twilio`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': good },
      body: new URLSearchParams({ ...form, Body: 'Not interested.' }),
    });
    const answers = [
      (await post('/webhooks/twilio', form, null)).status,
      (await post('/webhooks/twilio', form, forged)).status,
      (await post('/webhooks/twilio', form, otherUrl)).status,
      tampered.status,
      (await post('/webhooks/twilio/status', { MessageSid: newMessageSid(), MessageStatus: 'failed' }, null)).status,
    ];
    expect(answers).toEqual([403, 403, 403, 403, 403]);
    expect(await inboundCount(created.id)).toBe(0);
    expect((await probe.detail(created.id)).status).toBe('RUNNING');
  });

  it('processes the same MessageSid delivered twice once', async () => {
    const number = freshNumber();
    const created = await running(number);
    const sid = newMessageSid();
    const first = await text(number, 'Here is the signed W-9.', sid);
    const again = await text(number, 'Here is the signed W-9.', sid);
    expect([first.status, again.status]).toEqual([200, 200]);
    await probe.status(created.id, 'COMPLETED');
    expect(await inboundCount(created.id)).toBe(1);
    const [claims] = await app.offload.db.query(
      `SELECT count(*)::int AS n FROM provider_events WHERE provider = 'twilio' AND event_id = $1`,
      [sid],
    );
    expect(claims.n).toBe(1);
  });

  it('logs and drops a text from a number with no open case', async () => {
    const stranger = freshNumber();
    const before = (await app.offload.db.query(`SELECT count(*)::int AS n FROM messages`))[0].n;
    const answer = await text(stranger, 'Who is this?');
    expect(answer.status).toBe(200);
    expect((await app.offload.db.query(`SELECT count(*)::int AS n FROM messages`))[0].n).toBe(before);
  });

  it('ends the case opted_out on STOP, suppresses the number, and lifts it on START', async () => {
    const number = freshNumber();
    const created = await running(number);
    expect((await text(number, '  stop ')).status).toBe(200);
    const stopped = await probe.status(created.id, 'FAILED');
    expect(stopped.resultStatus).toBe('opted_out');
    expect(stopped.failureReason).toContain('STOP');
    expect(await suppression(number)).toEqual({ source: 'sms_stop', case_id: created.id });
    expect(await app.client.errorCode(CreateCaseDocument, { input: smsInput(number) })).toBe('COUNTERPARTY_SUPPRESSED');

    // "Stop it" is a reply, not a keyword; START (any case) lifts the opt-out.
    expect((await text(number, 'Start')).status).toBe(200);
    expect(await suppression(number)).toBeNull();
    const again = await create(number);
    await waitFor('a text to the number again', () => twilio.textsTo(number).length === 2);
    expect(again.status).toBe('CREATED');
  });
});

describe('delivery failures', () => {
  const lastSid = (number: string): string => twilio.textsTo(number).at(-1)!.sid;

  it.each([
    ['failed', 30005, 'BOUNCED', true],
    ['failed', 30003, 'BOUNCED', false],
    ['undelivered', 30007, 'REJECTED', false],
  ])('a %s callback with error %d ends the case %s', async (status, code, resultStatus, suppressed) => {
    const number = freshNumber();
    const created = await running(number);
    const sid = lastSid(number);
    expect((await statusCallback(sid, 'sent')).status).toBe(204);
    expect((await statusCallback(sid, status, code)).status).toBe(204);
    expect((await statusCallback(sid, status, code)).status).toBe(204);
    const failed = await probe.status(created.id, 'FAILED');
    expect(failed.resultStatus).toBe(resultStatus);
    expect(failed.failureReason).toContain(`Twilio error ${code}`);
    expect(Boolean(await suppression(number))).toBe(suppressed);
  });

  it('a failed callback with 21610 (unsubscribed at Twilio) ends the case opted_out', async () => {
    const number = freshNumber();
    const created = await running(number);
    expect((await statusCallback(lastSid(number), 'failed', 21610)).status).toBe(204);
    const failed = await probe.status(created.id, 'FAILED');
    expect(failed).toMatchObject({ resultStatus: 'opted_out', failureReason: expect.stringContaining('21610') });
    expect((await suppression(number))?.source).toBe('sms_stop');
  });

  it('a delivered callback marks the message', async () => {
    const number = freshNumber();
    const created = await running(number);
    expect((await statusCallback(lastSid(number), 'delivered')).status).toBe(204);
    const detail = await probe.detail(created.id);
    expect(detail.messages[0]!.deliveryStatus).toBe('delivered');
  });

  it.each([
    [400, 21211, 'BOUNCED'],
    [400, 21610, 'opted_out'],
    [400, 30007, 'REJECTED'],
  ])('a %d with Twilio error %d on send ends the case %s', async (httpStatus, code, resultStatus) => {
    const number = freshNumber();
    twilio.failNext(httpStatus, code, `error ${code} from the fake`);
    const created = await create(number);
    const failed = await probe.status(created.id, 'FAILED');
    expect(failed.resultStatus).toBe(resultStatus);
    expect(failed.failureReason).toContain(`Twilio error ${code}`);
  });

  it('retries a send that Twilio answered with 500', async () => {
    const number = freshNumber();
    twilio.failNext(500, 20500, 'internal error');
    const created = await create(number);
    await waitFor('the retried outreach', () => twilio.textsTo(number).length === 1, 30_000);
    await probe.status(created.id, 'RUNNING');
  });
});
