// Hostile mail through the wired system (MAIL_TRANSPORT=smtp, the built-in listener on loopback): oversized mail, many
// or huge attachments, malformed MIME, and threading headers forged to reach another tenant's case. Each refusal is
// an SMTP reply the sending MTA turns into a bounce; nothing hostile leaves the listener unable to take the next mail.
import { createHash, randomBytes } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import { CreateCaseDocument } from '../../schema/generated/graphql';
import { caseAddress } from '../../src/mail/case-address.mapper';
import { CaseProbe } from '../helpers/case.probe';
import type { GraphQLClient } from '../helpers/graphql-client';
import { MAIL_DOMAIN as DOMAIN, startSmtpApp, type SmtpApp } from '../helpers/mail-apps';
import { caseInput, type TestApp } from '../helpers/offload';
import { VENDOR } from '../helpers/reply.helper';
import { waitFor } from '../helpers/wait';

const MALLORY = 'mallory@evil.example';
const NO_FOLLOW_UP = { followUpDelayHours: 8760 };

let smtp: SmtpApp;
let app: TestApp;
let client: Transporter;
let other: { client: GraphQLClient; accountId: string };

beforeAll(async () => {
  // INBOUND_SMTP_MAX_BYTES and INBOUND_MAX_ATTACHMENTS keep their defaults (25 MiB, 100): those are what is proven.
  smtp = await startSmtpApp('hostile-mail');
  ({ app, client } = smtp);
  other = await app.newAccount('BASE_PRO', 'other tenant');
}, 30_000);
afterAll(async () => smtp?.stop());

async function runningCase(owner: GraphQLClient = app.client, overrides: Record<string, unknown> = {}) {
  const { createCase } = await owner.ok(CreateCaseDocument, { input: caseInput({ ...NO_FOLLOW_UP, ...overrides }) });
  await probeAs(owner).status(createCase.id, 'RUNNING');
  return createCase.id;
}

/** Cases as `owner` sees them. */
const probeAs = (owner: GraphQLClient = app.client) => new CaseProbe({ ...app, client: owner });
const detail = (id: string, owner: GraphQLClient = app.client) => probeAs(owner).detail(id);

async function inbound(caseId: string): Promise<Array<{ id: string; text: string; attachments: number }>> {
  return app.offload.db.query(
    `SELECT m.id, m.text, (SELECT count(*)::int FROM attachments a WHERE a.message_id = m.id) AS attachments
       FROM messages m WHERE m.case_id = $1 AND m.direction = 'inbound' ORDER BY m.created_at`,
    [caseId],
  );
}

async function outreachId(caseId: string): Promise<string> {
  const [row] = await app.offload.db.query(
    `SELECT rfc_message_id FROM messages WHERE case_id = $1 AND direction = 'outbound' AND status = 'sent'`,
    [caseId],
  );
  return row.rfc_message_id;
}

/** The SMTP answer to DATA: 250 when accepted, else the refusal's code (a socket error has none and fails). */
async function sendRaw(to: string, raw: string | Buffer, from = VENDOR): Promise<number> {
  try {
    await client.sendMail({ envelope: { from, to: [to] }, raw });
    return 250;
  } catch (error) {
    const code = (error as { responseCode?: number }).responseCode;
    if (code === undefined) throw error;
    return code;
  }
}

/** The listener still takes an honest reply and the case completes from it. */
async function stillListening(): Promise<void> {
  const id = await runningCase();
  await client.sendMail({ from: VENDOR, to: caseAddress(id, DOMAIN), subject: 'Re: W-9', text: 'Here is the W-9.' });
  await probeAs().status(id, 'COMPLETED');
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('size and attachment caps', () => {
  it('refuses one 30 MB attachment with 552 under the default 25 MiB cap, storing nothing', async () => {
    const id = await runningCase();
    const send = client.sendMail({
      from: VENDOR,
      to: caseAddress(id, DOMAIN),
      subject: 'huge',
      text: 'Here is the W-9.',
      attachments: [{ filename: 'huge.bin', content: randomBytes(30 * 1024 * 1024) }],
    });
    await expect(send).rejects.toMatchObject({ responseCode: 552 });
    expect(await inbound(id)).toHaveLength(0);
    expect((await detail(id)).status).toBe('RUNNING');
    await stillListening();
  }, 40_000);

  it('keeps an 8 MB attachment under the cap byte for byte', async () => {
    const id = await runningCase();
    const big = randomBytes(8 * 1024 * 1024);
    await client.sendMail({
      from: VENDOR,
      to: caseAddress(id, DOMAIN),
      subject: 'Re: W-9',
      text: 'Here is the W-9.',
      attachments: [{ filename: 'w9.pdf', content: big, contentType: 'application/pdf' }],
    });
    await probeAs().status(id, 'COMPLETED');
    const [row] = await app.offload.db.query(`SELECT size, sha256 FROM attachments WHERE case_id = $1`, [id]);
    expect(row).toEqual({ size: big.length, sha256: sha256(big) });
  }, 30_000);

  it('refuses 200 small attachments with 552 naming INBOUND_MAX_ATTACHMENTS, and keeps all of 100', async () => {
    const id = await runningCase();
    const files = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ filename: `part-${i}.txt`, content: `part ${i}\n` }));
    const tooMany = client.sendMail({
      from: VENDOR,
      to: caseAddress(id, DOMAIN),
      subject: 'many',
      text: 'Here is the W-9.',
      attachments: files(200),
    });
    await expect(tooMany).rejects.toMatchObject({
      responseCode: 552,
      response: expect.stringContaining('at most 100'),
    });
    expect(await inbound(id)).toHaveLength(0);

    await client.sendMail({
      from: VENDOR,
      to: caseAddress(id, DOMAIN),
      subject: 'Re: W-9',
      text: 'Here is the W-9.',
      attachments: files(100),
    });
    await probeAs().status(id, 'COMPLETED');
    expect(await inbound(id)).toEqual([expect.objectContaining({ attachments: 100 })]);
  }, 30_000);

  it('keeps the first 100 attachments of mail a provider already accepted, rather than refusing it', async () => {
    const id = await runningCase();
    // What the AgentMail webhook hands over: the provider took the mail, so there is no one to refuse it to.
    await app.offload.services.inbound.receive({
      recipients: [caseAddress(id, DOMAIN)],
      from: { name: null, address: VENDOR },
      subject: 'Re: W-9',
      text: 'Here is the W-9.',
      newText: 'Here is the W-9.',
      messageId: '<many-at-provider@example.com>',
      inReplyTo: null,
      references: [],
      attachments: Array.from({ length: 150 }, (_, i) => ({
        name: `part-${i}.txt`,
        contentType: 'text/plain',
        size: 4,
        providerAttachmentId: `att_${i}`,
      })),
      receivedAt: new Date(),
    });
    expect(await inbound(id)).toEqual([expect.objectContaining({ attachments: 100 })]);
  });
});

/** Each sample reaches a case of its own; a header block, then a blank line, then the body as given. */
const MALFORMED: Array<[string, (to: string) => string]> = [
  [
    'a multipart whose closing boundary never comes',
    (to) =>
      mime(
        to,
        'multipart/mixed; boundary="B"',
        '--B\r\nContent-Type: text/plain\r\n\r\nHere is the W-9.\r\n--B\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 trunc',
      ),
  ],
  [
    'a multipart without a boundary parameter',
    (to) => mime(to, 'multipart/mixed', '--X\r\n\r\nHere is the W-9.\r\n--X--'),
  ],
  [
    'an attachment of invalid base64',
    (to) =>
      mime(
        to,
        'multipart/mixed; boundary="B"',
        '--B\r\nContent-Type: text/plain\r\n\r\nHere is the W-9.\r\n--B\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="x.pdf"\r\n\r\n!!!@@@###not base64%%%\r\n--B--',
      ),
  ],
  ['multiparts nested 300 deep', (to) => mime(to, 'multipart/mixed; boundary="b0"', nested(300))],
  [
    'an unknown charset and raw 8-bit bytes, a NUL among them',
    (to) => mime(to, 'text/plain; charset="x-no-such-charset"', 'Here is the W-9 \xff\xfe\x00\x80 done.'),
  ],
  [
    'a 1 MB header line',
    (to) => `Subject: ${'A'.repeat(1024 * 1024)}\r\n${mime(to, 'text/plain', 'Here is the W-9.')}`,
  ],
  ['headers and no body at all', (to) => `From: ${VENDOR}\r\nTo: ${to}\r\nSubject: nothing`],
  [
    'an encoded-word header of garbage',
    (to) => `Subject: =?utf-8?B?////?= =?x?Q?=ZZ?=\r\n${mime(to, 'text/plain', 'Here is the W-9.')}`,
  ],
];

describe('malformed MIME', () => {
  it.each(MALFORMED)('answers %s with 250 or a permanent 5xx, never a crash', async (_name, build) => {
    const id = await runningCase();
    const code = await sendRaw(caseAddress(id, DOMAIN), Buffer.from(build(caseAddress(id, DOMAIN)), 'latin1'));
    expect(code === 250 || (code >= 500 && code < 600)).toBe(true);
    if (code === 250) await waitFor('the mail on its case', async () => (await inbound(id)).length === 1);
    else expect(await inbound(id)).toHaveLength(0);
  });

  it('refuses mail without a From address, and every job of the hostile mail above ran without failing', async () => {
    const id = await runningCase();
    const code = await sendRaw(caseAddress(id, DOMAIN), `To: ${caseAddress(id, DOMAIN)}\r\nSubject: x\r\n\r\nhi\r\n`);
    expect(code).toBe(550);
    await stillListening();
    const [failed] = await app.offload.db.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE state = 'failed'`);
    expect(failed.n).toBe(0);
  });
});

describe('forged threading headers', () => {
  it("never attaches mail to another tenant's case by In-Reply-To: the envelope recipient names the case", async () => {
    const victim = await runningCase();
    const malloryCase = await runningCase(other.client, { counterparty: { address: MALLORY, name: 'Mallory' } });
    const victimId = await outreachId(victim);
    // Sent to Mallory's own case, but threaded on the victim's outreach and naming the victim's address in To.
    const raw = [
      `From: Mallory <${MALLORY}>`,
      `To: ${caseAddress(victim, DOMAIN)}`,
      'Subject: Re: W-9',
      `In-Reply-To: ${victimId}`,
      `References: ${victimId}`,
      'Message-ID: <forged-1@evil.example>',
      '',
      'Not interested, stop emailing.',
      '',
    ].join('\r\n');
    expect(await sendRaw(caseAddress(malloryCase, DOMAIN), raw, MALLORY)).toBe(250);
    await waitFor("the mail on Mallory's own case", async () => (await inbound(malloryCase)).length === 1);
    expect(await inbound(victim)).toHaveLength(0);
    expect((await detail(victim)).status).toBe('RUNNING');
  });

  it("puts mail from another tenant's counterparty, threaded on that tenant's case, on the case it was sent to", async () => {
    const target = await runningCase();
    const theirs = await runningCase(other.client, { counterparty: { address: MALLORY, name: 'Mallory' } });
    const theirId = await outreachId(theirs);
    const raw = [
      `From: Mallory <${MALLORY}>`,
      `To: ${caseAddress(target, DOMAIN)}`,
      'Subject: Re: W-9',
      `In-Reply-To: ${theirId}`,
      `References: ${theirId}`,
      'Message-ID: <forged-2@evil.example>',
      '',
      'Would Tuesday work for you?',
      '',
    ].join('\r\n');
    expect(await sendRaw(caseAddress(target, DOMAIN), raw, MALLORY)).toBe(250);
    await waitFor('the mail on the case it was sent to', async () => (await inbound(target)).length === 1);
    expect(await inbound(theirs)).toHaveLength(0);
    expect((await detail(theirs, other.client)).status).toBe('RUNNING');
  });

  it('attaches mail reaching no case address by its headers only to a case whose counterparty sent it', async () => {
    const victim = await runningCase();
    const malloryCase = await runningCase(other.client, { counterparty: { address: MALLORY, name: 'Mallory' } });
    const refs = [await outreachId(victim), await outreachId(malloryCase)];
    await app.offload.services.inbound.receive({
      recipients: ['inbox@elsewhere.example'],
      from: { name: null, address: MALLORY },
      subject: 'Re: W-9',
      text: 'Not interested.',
      newText: 'Not interested.',
      messageId: '<forged-3@evil.example>',
      inReplyTo: refs[0]!,
      references: refs,
      attachments: [],
      receivedAt: new Date(),
    });
    expect(await inbound(victim)).toHaveLength(0);
    expect(await inbound(malloryCase)).toHaveLength(1);
  });
});

function mime(to: string, contentType: string, body: string): string {
  return [
    `From: Vera Vendor <${VENDOR}>`,
    `To: ${to}`,
    'Subject: Re: W-9',
    'MIME-Version: 1.0',
    `Content-Type: ${contentType}`,
    '',
    body,
    '',
  ].join('\r\n');
}

function nested(depth: number): string {
  let inner = 'Content-Type: text/plain\r\n\r\nHere is the W-9.\r\n';
  for (let level = depth - 1; level >= 0; level--) {
    const boundary = `b${level + 1}`;
    inner = `Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n--${boundary}\r\n${inner}--${boundary}--\r\n`;
  }
  return `--b0\r\n${inner}--b0--`;
}
