// The agent reads what arrives: a reply whose only content is a signed W-9 PDF completes the case with the rules
// agent, the PDF's fields and signature are extracted once in the worker and stored on the attachment row, and a
// broken PDF is recorded as such without failing its case.
import { CreateCaseDocument, GetCaseDetailDocument } from '../../schema/generated/graphql';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { formPdf } from '../helpers/pdf-samples';
import { waitFor } from '../helpers/wait';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp('attachment_context', { env: { AGENT: 'rules' } });
});
afterAll(async () => app?.stop());

async function detail(id: string) {
  const { case: found } = await app.client.ok(GetCaseDetailDocument, { id });
  if (!found) throw new Error(`case ${id} not found`);
  return found;
}

async function runningCase(): Promise<string> {
  const { createCase } = await app.client.ok(CreateCaseDocument, {
    input: caseInput({ goal: { objective: 'Collect a signed IRS Form W-9 from the vendor' } }),
  });
  await waitFor('case RUNNING', async () => (await detail(createCase.id)).status === 'RUNNING');
  return createCase.id;
}

async function reply(caseId: string, text: string, file: { name: string; bytes: Buffer }) {
  const response = await fetch(`${app.url}/webhooks/local`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': app.apiKey },
    body: JSON.stringify({
      caseId,
      from: 'vendor@example.com',
      text,
      // The sender's header claims a Word file; the bytes decide.
      attachments: [
        { name: file.name, contentType: 'application/msword', contentBase64: file.bytes.toString('base64') },
      ],
    }),
  });
  expect(response.status).toBe(202);
}

type Stored = { status: string; detectedType: string; signatures: unknown; fields: unknown };

async function storedExtraction(caseId: string): Promise<{ extraction: Stored | null; extracted_at: Date | null }> {
  const rows: Array<{ extraction: Stored | null; extracted_at: Date | null }> = await app.offload.db.query(
    `SELECT extraction, extracted_at FROM attachments WHERE case_id = $1`,
    [caseId],
  );
  return rows[0]!;
}

it('a signed W-9 PDF named like the request completes the case, its fields stored once', async () => {
  const caseId = await runningCase();
  await reply(caseId, 'Thanks.', { name: 'W9_signed.pdf', bytes: await formPdf({ signed: true }) });
  const done = await waitFor('case COMPLETED', async () => {
    const found = await detail(caseId);
    return found.status === 'COMPLETED' && found;
  });
  const evaluated = done.timeline.find((event) => event.toStatus === 'COMPLETED');
  expect(JSON.stringify(evaluated?.data)).toContain('named like what we asked for');
  const { extraction, extracted_at } = await storedExtraction(caseId);
  expect(extraction).toMatchObject({
    status: 'ok',
    detectedType: 'application/pdf',
    signatures: [{ name: 'signature', signed: true }],
    fields: expect.arrayContaining([{ name: 'ein', type: 'text', value: '12-3456789' }]),
  });
  expect(extracted_at).toBeInstanceOf(Date);
});

it('a broken PDF is recorded as malformed and the case is still evaluated', async () => {
  const caseId = await runningCase();
  const broken = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2048, 0x41)]);
  await reply(caseId, 'Here is the form.', { name: 'w9.pdf', bytes: broken });
  await waitFor('case COMPLETED', async () => (await detail(caseId)).status === 'COMPLETED');
  expect((await storedExtraction(caseId)).extraction).toMatchObject({ status: 'malformed' });
});
