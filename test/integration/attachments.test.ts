// Attachments we keep (local/smtp): metadata on the case, bytes behind signed, expiring links served by our HTTP
// server; a link that is expired, tampered with or pointed at another file is refused, and only the case's account
// can mint one.
import { createHash, randomBytes } from 'node:crypto';
import { CreateCaseDocument, GetCaseDetailDocument } from '../../schema/generated/graphql';
import { AttachmentLinks } from '../../src/services/attachments/attachment-link.signer';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { pdf, reply } from '../helpers/reply.helper';
import { waitForStatus } from '../helpers/wait';

const SIGNING_SECRET = 'attachments-test-signing-secret';

let app: TestApp;
let caseId: string;
const files = { w9: randomBytes(30_000), note: Buffer.from('plain words\n') };
const ids: Record<'w9' | 'note', string> = { w9: '', note: '' };

beforeAll(async () => {
  app = await startTestApp('attachments', { env: { SIGNING_SECRET, AGENT: 'rules' } });
  const { createCase } = await app.client.ok(CreateCaseDocument, { input: caseInput() });
  caseId = createCase.id;
  await waitForStatus(detail, caseId, 'RUNNING');
  await reply(app, caseId, 'Here is the signed W-9 and a note.', {
    attachments: [
      pdf(files.w9, 'w9.pdf'),
      { name: 'note.txt', contentType: 'text/plain', contentBase64: files.note.toString('base64') },
    ],
  });
  const done = await waitForStatus(detail, caseId, 'COMPLETED');
  ids.w9 = done.attachments.find((a) => a.name === 'w9.pdf')!.id;
  ids.note = done.attachments.find((a) => a.name === 'note.txt')!.id;
});
afterAll(async () => app?.stop());

async function detail() {
  const { case: found } = await app.client.ok(GetCaseDetailDocument, { id: caseId });
  if (!found) throw new Error(`case ${caseId} not found`);
  return found;
}

/** Links signed with the deployment's secret, as of `at`: what our server would have minted then. */
const linksAt = (at: Date) =>
  new AttachmentLinks(
    SIGNING_SECRET,
    () => app.url,
    10,
    () => at,
  );

it('keeps each attachment with its size and sha256, and lists metadata on the case', async () => {
  const rows: Array<{ id: string; size: number; sha256: string; content_length: number }> = await app.offload.db.query(
    `SELECT id, size, sha256, octet_length(content) AS content_length FROM attachments WHERE case_id = $1`,
    [caseId],
  );
  const w9 = rows.find((r) => r.id === ids.w9)!;
  expect(w9).toMatchObject({ size: files.w9.length, content_length: files.w9.length });
  expect(w9.sha256).toBe(createHash('sha256').update(files.w9).digest('hex'));
  const found = await detail();
  const inbound = found.messages.find((m) => m.direction === 'inbound')!;
  expect(found.attachments.find((a) => a.id === ids.note)).toMatchObject({
    name: 'note.txt',
    size: files.note.length,
    type: 'text/plain',
    messageId: inbound.id,
    receivedAt: expect.any(String),
  });
});

it('serves the bytes behind a freshly minted link, byte for byte, as a download', async () => {
  const link = (await detail()).attachments.find((a) => a.id === ids.w9)!.download;
  expect(new Date(link.expiresAt).getTime()).toBeGreaterThan(Date.now());
  const response = await fetch(link.url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-disposition')).toContain('w9.pdf');
  expect(Buffer.from(await response.arrayBuffer()).equals(files.w9)).toBe(true);
});

it('refuses a link whose expiry has passed, though its signature is genuine', async () => {
  const fresh = linksAt(new Date()).mint(caseId, ids.note);
  expect((await fetch(fresh.url)).status).toBe(200);
  const expired = linksAt(new Date(Date.now() - 3600_000)).mint(caseId, ids.note);
  expect(expired.expiresAt.getTime()).toBeLessThan(Date.now());
  const response = await fetch(expired.url);
  expect(response.status).toBe(403);
  expect(await response.json()).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
});

it('refuses a tampered signature, an extended expiry and a signature moved to another file', async () => {
  const link = new URL((await detail()).attachments.find((a) => a.id === ids.note)!.download.url);
  const sig = link.searchParams.get('sig')!;
  const tampered = new URL(link);
  tampered.searchParams.set('sig', `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`);
  const extended = new URL(link);
  extended.searchParams.set('expires', String(Number(link.searchParams.get('expires')) + 86_400));
  const moved = new URL(link.href.replace(ids.note, ids.w9));
  const unsigned = new URL(`${link.origin}${link.pathname}`);
  for (const url of [tampered, extended, moved, unsigned]) expect((await fetch(url)).status).toBe(403);
  expect((await fetch(link)).status).toBe(200);
});

it('lets no other account mint a link for the attachment', async () => {
  const stranger = await app.newAccount('BASE_PRO', 'stranger');
  await expect(app.offload.services.attachments.link(stranger.accountId, caseId, ids.w9)).rejects.toMatchObject({
    code: 'ATTACHMENT_NOT_FOUND',
  });
  expect((await stranger.client.ok(GetCaseDetailDocument, { id: caseId })).case).toBeNull();
  const own = await app.offload.services.attachments.link(app.accountId, caseId, ids.w9);
  expect(own.url).toContain(`/attachments/${caseId}/${ids.w9}?`);
});
