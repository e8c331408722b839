import { extractAttachment, EXTRACTION_LIMITS } from '../../../src/agent/attachments/attachment.extractor';
import { bombPdf, encryptedPdf, formPdf, textPdf } from '../../helpers/pdf-samples';

describe('attachment extraction', () => {
  test('a text PDF gives its text, page count and type from the bytes', async () => {
    const pdf = await textPdf(['Invoice GW-2025-0318', 'Total due: 12,480.00 USD'], 2);
    const out = await extractAttachment(pdf);
    expect(out).toMatchObject({ status: 'ok', detectedType: 'application/pdf', pages: 2, truncated: false });
    expect(out.text).toContain('Invoice GW-2025-0318');
    expect(out.text).toContain('Total due: 12,480.00 USD');
  });

  test('form fields and a signed signature field are reported', async () => {
    const out = await extractAttachment(await formPdf({ signed: true }));
    expect(out.status).toBe('ok');
    expect(out.fields).toEqual(
      expect.arrayContaining([
        { name: 'name', type: 'text', value: 'Northwind Supplies Inc.' },
        { name: 'ein', type: 'text', value: '12-3456789' },
        { name: 'c_corporation', type: 'checkbox', value: 'checked' },
      ]),
    );
    expect(out.signatures).toEqual([{ name: 'signature', signed: true }]);
    expect(out.text).toContain('Form W-9');
  });

  test('an empty signature field reads as unsigned', async () => {
    const out = await extractAttachment(await formPdf({ signed: false }));
    expect(out.signatures).toEqual([{ name: 'signature', signed: false }]);
  });

  test('text is capped per attachment and marked truncated', async () => {
    const pdf = await textPdf(['x'.repeat(90)], 5);
    const out = await extractAttachment(pdf, { ...EXTRACTION_LIMITS, maxChars: 200 });
    expect(out.text?.length).toBeLessThanOrEqual(200);
    expect(out.truncated).toBe(true);
  });

  test('an encrypted PDF is reported, not read', async () => {
    const out = await extractAttachment(await encryptedPdf());
    expect(out.status).toBe('encrypted');
    expect(out.text).toBeNull();
  });

  test('a PDF header over garbage is malformed and does not throw', async () => {
    const garbage = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(4096, 0x5a)]);
    expect((await extractAttachment(garbage)).status).toBe('malformed');
  });

  test('a truncated PDF does not throw', async () => {
    const pdf = await textPdf(['half of me is missing']);
    const out = await extractAttachment(pdf.subarray(0, Math.floor(pdf.length / 2)));
    expect(out.status).toBe('malformed');
  });

  test('a file over the byte cap is not read', async () => {
    const pdf = await textPdf(['fine']);
    expect((await extractAttachment(pdf, { ...EXTRACTION_LIMITS, maxBytes: 100 })).status).toBe('too_large');
  });

  test('a decompression bomb costs bounded time', async () => {
    const started = Date.now();
    const out = await extractAttachment(bombPdf(64), { ...EXTRACTION_LIMITS, timeoutMs: 1500, memoryMb: 64 });
    // 64 MB of drawing operators from 64 kB: the worker is stopped at the deadline, the process goes on.
    expect(['timeout', 'too_large']).toContain(out.status);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  test("the sender's header does not decide: a PNG called .pdf is unsupported, plain text is read", async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
    expect(await extractAttachment(png)).toMatchObject({ status: 'unsupported', detectedType: 'image/png' });
    const text = await extractAttachment(Buffer.from('EIN: 12-3456789\nSigned: Karen Mills'));
    expect(text).toMatchObject({
      status: 'ok',
      detectedType: 'text/plain',
      text: 'EIN: 12-3456789\nSigned: Karen Mills',
    });
  });
});
