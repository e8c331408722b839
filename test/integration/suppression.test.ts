// SPEC §11 over MAIL_TRANSPORT=smtp on loopback: the suppression list (the client's own entries, hard bounces), what
// it refuses (createCase on GraphQL and REST) and stops (a running case's next send), and the RFC 8058 one-click
// unsubscribe whose headers are read off the wire at the test relay.
import { randomUUID } from 'node:crypto';
import {
  CreateCaseDocument,
  GetSuppressionsDocument,
  SuppressAddressDocument,
  UnsuppressAddressDocument,
} from '../../schema/generated/graphql';
import type { SinkMessage } from '../fakes/smtp-sink';
import { CaseProbe, timelineTypes } from '../helpers/case.probe';
import { startSmtpApp, type SmtpApp } from '../helpers/mail-apps';
import { caseInput, type TestApp } from '../helpers/offload';
import { waitFor } from '../helpers/wait';

/** One hour of case time is a second here: cases that must not follow up meanwhile wait a year. */
const NO_FOLLOW_UP = { followUpDelayHours: 8760 };

let smtp: SmtpApp;
let app: TestApp;
let probe: CaseProbe;

beforeAll(async () => {
  smtp = await startSmtpApp('suppression');
  app = smtp.app;
  probe = new CaseProbe(app);
});
afterAll(async () => smtp?.stop());

/** A fresh counterparty per test, so one test's suppressions never touch another's cases. */
const newAddress = (label: string) => `${label}-${randomUUID().slice(0, 8)}@Vendor.Example`;

async function createCase(address: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const input = caseInput({ ...NO_FOLLOW_UP, counterparty: { address, name: 'Vera Vendor' }, ...overrides });
  return (await app.client.ok(CreateCaseDocument, { input })).createCase.id;
}

async function suppressions(client = app.client) {
  return (await client.ok(GetSuppressionsDocument, { first: 100 })).suppressions.edges.map((e) => e.node);
}

const restCreate = (apiKey: string, address: string) =>
  fetch(`${app.url}/cases`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify(caseInput({ counterparty: { address, name: 'Vera Vendor' } })),
  });

/** A header as it crossed the wire, unfolded (RFC 5322 folding puts long values on several lines). */
function wireHeader(mail: SinkMessage, name: string): string | null {
  const head = mail.raw
    .toString('utf8')
    .split(/\r?\n\r?\n/)[0]!
    .replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line ? line.slice(name.length + 1).trim() : null;
}

async function outreachOf(caseId: string): Promise<SinkMessage> {
  const [mail] = await waitFor('outreach in the relay', () => smtp.mailsOf(caseId).length >= 1 && smtp.mailsOf(caseId));
  return mail!;
}

function unsubscribeUrl(mail: SinkMessage): string {
  const header = wireHeader(mail, 'List-Unsubscribe');
  const url = /<(https?:\/\/[^>]+)>/.exec(header ?? '')?.[1];
  if (!url) throw new Error(`no https List-Unsubscribe URL in ${String(header)}`);
  return url;
}

const oneClick = (url: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });

describe('the suppression list', () => {
  it('suppressAddress makes createCase refuse the address (any case) on GraphQL and REST 409; unsuppress lifts it', async () => {
    const address = newAddress('manual');
    expect(await app.client.ok(SuppressAddressDocument, { address, reason: 'asked us by phone' })).toEqual({
      suppressAddress: true,
    });
    const listed = (await suppressions()).find((s) => s.address === address.toLowerCase());
    expect(listed).toMatchObject({ source: 'manual', reason: 'asked us by phone', caseId: null });

    const refused = await app.client.request(CreateCaseDocument, {
      input: caseInput({ counterparty: { address: address.toUpperCase(), name: 'Vera' } }),
    });
    expect(refused.errors?.[0]?.extensions?.code).toBe('COUNTERPARTY_SUPPRESSED');
    expect(refused.data).toBeNull();
    const rest = await restCreate(app.apiKey, address);
    expect(rest.status).toBe(409);
    expect(await rest.json()).toMatchObject({ ok: false, error: { code: 'COUNTERPARTY_SUPPRESSED' } });

    expect(await app.client.ok(UnsuppressAddressDocument, { address })).toEqual({ unsuppressAddress: true });
    expect(await app.client.ok(UnsuppressAddressDocument, { address })).toEqual({ unsuppressAddress: false });
    expect((await restCreate(app.apiKey, address)).status).toBe(201);
  });

  it('refuses a malformed address with BAD_USER_INPUT and pages the list newest first', async () => {
    expect(await app.client.errorCode(SuppressAddressDocument, { address: 'not an address' })).toBe('BAD_USER_INPUT');
    const { client } = await app.newAccount('BASE_PRO', 'pager');
    const addresses = [0, 1, 2].map((i) => newAddress(`page${i}`).toLowerCase());
    for (const address of addresses) await client.ok(SuppressAddressDocument, { address });
    const first = (await client.ok(GetSuppressionsDocument, { first: 2 })).suppressions;
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = (await client.ok(GetSuppressionsDocument, { first: 2, after: first.pageInfo.endCursor })).suppressions;
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const seen = [...first.edges, ...rest.edges].map((e) => e.node.address);
    expect(seen.sort()).toEqual([...addresses].sort());
  });

  it('a hard bounce fails the case BOUNCED and suppresses the address for the next case', async () => {
    const address = newAddress('bounce');
    const id = await createCase(address);
    const mail = await outreachOf(id);
    await smtp.bounce(id, mail.parsed.messageId!);
    const failed = await probe.status(id, 'FAILED');
    expect(failed.resultStatus).toBe('BOUNCED');
    const entry = await waitFor('the bounce on the list', async () =>
      (await suppressions()).find((s) => s.address === address.toLowerCase()),
    );
    expect(entry).toMatchObject({ source: 'hard_bounce', caseId: id });
    expect((await restCreate(app.apiKey, address)).status).toBe(409);
  });

  it('a running case whose address becomes suppressed ends FAILED/suppressed at its next send, sending nothing', async () => {
    const address = newAddress('running');
    // Follow-ups every 3 s: the first one is due soon after the address is suppressed.
    const id = await createCase(address, { followUpDelayHours: 3, maxAttempts: 5 });
    await outreachOf(id);
    await probe.status(id, 'RUNNING');
    await app.client.ok(SuppressAddressDocument, { address });
    const mailsWhenSuppressed = smtp.mailsOf(id).length;

    const failed = await probe.status(id, 'FAILED', 30_000);
    expect(failed.resultStatus).toBe('suppressed');
    expect(failed.nextActionAt).toBeNull();
    expect(timelineTypes(failed).at(-1)).toBe('case.failed');
    expect(smtp.mailsOf(id)).toHaveLength(mailsWhenSuppressed);
    const sent = (await probe.outbound(id)).filter((m) => m.status === 'sent');
    expect(sent).toHaveLength(mailsWhenSuppressed);
  });
});

describe('one-click unsubscribe (RFC 8058)', () => {
  it('puts List-Unsubscribe (signed https URL and mailto) and List-Unsubscribe-Post on every mail', async () => {
    const id = await createCase(newAddress('headers'));
    const mail = await outreachOf(id);
    expect(wireHeader(mail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const header = wireHeader(mail, 'List-Unsubscribe')!;
    expect(header).toMatch(new RegExp(`^<${app.url}/unsubscribe/${id}\\.[\\w-]{43}>, <mailto:[^>]+>$`));
    expect(header).toContain(`<mailto:${smtp.address(id)}?subject=unsubscribe>`);
  });

  it('GET shows a page and changes nothing; POST without a key ends the case unsubscribed and suppresses', async () => {
    const address = newAddress('oneclick');
    const id = await createCase(address);
    const url = unsubscribeUrl(await outreachOf(id));
    await probe.status(id, 'RUNNING');

    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post">');
    expect((await probe.detail(id)).status).toBe('RUNNING');
    expect((await suppressions()).some((s) => s.address === address.toLowerCase())).toBe(false);

    const posted = await oneClick(url);
    expect(posted.status).toBe(200);
    const failed = await probe.status(id, 'FAILED');
    expect(failed.resultStatus).toBe('unsubscribed');
    expect((await suppressions()).find((s) => s.address === address.toLowerCase())).toMatchObject({
      source: 'unsubscribe',
      caseId: id,
    });

    // Repeating it changes nothing: same answer, no new timeline row, still one suppression.
    const again = await oneClick(url);
    expect(again.status).toBe(200);
    const after = await probe.detail(id);
    expect(after.timeline).toHaveLength(failed.timeline.length);
    expect(after.updatedAt).toBe(failed.updatedAt);
    expect((await suppressions()).filter((s) => s.address === address.toLowerCase())).toHaveLength(1);
    expect((await restCreate(app.apiKey, address)).status).toBe(409);
  });

  it("the header's mailto works too: a mail from the counterparty with subject unsubscribe suppresses the address", async () => {
    const address = newAddress('mailto');
    const id = await createCase(address);
    await outreachOf(id);
    await probe.status(id, 'RUNNING');
    // A third party writing "unsubscribe" to the case suppresses nobody.
    await smtp.reply(id, '', { subject: 'unsubscribe', from: 'someone-else@vendor.example' });
    await smtp.reply(id, '', { subject: 'Unsubscribe', from: address });
    const failed = await probe.status(id, 'FAILED');
    expect(['failed_rejected', 'suppressed']).toContain(failed.resultStatus);
    const listed = (await suppressions()).filter((s) => s.address.endsWith('@vendor.example'));
    expect(listed.find((s) => s.address === address.toLowerCase())).toMatchObject({
      source: 'unsubscribe',
      caseId: id,
    });
    expect(listed.some((s) => s.address === 'someone-else@vendor.example')).toBe(false);
    expect((await restCreate(app.apiKey, address)).status).toBe(409);
  });

  it('a tampered token, or one moved to another case, answers 404 and changes nothing', async () => {
    const first = await createCase(newAddress('tamper1'));
    const secondAddress = newAddress('tamper2');
    const second = await createCase(secondAddress);
    const url = unsubscribeUrl(await outreachOf(first));
    await outreachOf(second);
    await probe.status(first, 'RUNNING');
    await probe.status(second, 'RUNNING');
    const token = url.slice(url.lastIndexOf('/') + 1);
    const sig = token.slice(token.indexOf('.') + 1);
    const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    const forged = [
      `${app.url}/unsubscribe/${first}.${flipped}`,
      `${app.url}/unsubscribe/${second}.${sig}`,
      `${app.url}/unsubscribe/${second}`,
      `${app.url}/unsubscribe/not-a-token`,
    ];
    for (const bad of forged) {
      expect((await oneClick(bad)).status).toBe(404);
      expect((await fetch(bad)).status).toBe(404);
    }
    expect((await probe.detail(first)).status).toBe('RUNNING');
    expect((await probe.detail(second)).status).toBe('RUNNING');
    expect((await suppressions()).some((s) => s.address === secondAddress.toLowerCase())).toBe(false);
  });
});
