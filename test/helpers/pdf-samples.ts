// PDFs made in the test with pdf-lib: text, a filled form, signature fields (signed or not) and broken files.
import { deflateSync } from 'node:zlib';
import { PDFDocument, PDFHexString, PDFName, PDFString, StandardFonts } from 'pdf-lib';

export async function textPdf(lines: string[], pages = 1): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let n = 0; n < pages; n += 1) {
    const page = doc.addPage([612, 792]);
    lines.forEach((line, i) => page.drawText(line, { x: 50, y: 740 - i * 18, size: 12, font }));
  }
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

/** A W-9-like form: filled text fields, a checkbox, and a signature field that is signed or not. */
export async function formPdf(options: { signed: boolean }): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([612, 792]);
  page.drawText('Form W-9 Request for Taxpayer Identification Number and Certification', {
    x: 40,
    y: 740,
    size: 11,
    font,
  });
  const form = doc.getForm();
  const name = form.createTextField('name');
  name.setText('Northwind Supplies Inc.');
  name.addToPage(page, { x: 40, y: 680, width: 300, height: 20 });
  const tin = form.createTextField('ein');
  tin.setText('12-3456789');
  tin.addToPage(page, { x: 40, y: 640, width: 200, height: 20 });
  const corp = form.createCheckBox('c_corporation');
  corp.check();
  corp.addToPage(page, { x: 40, y: 600, width: 12, height: 12 });
  const signature = doc.context.obj({
    FT: 'Sig',
    T: PDFString.of('signature'),
    Type: 'Annot',
    Subtype: 'Widget',
    Rect: [40, 520, 240, 560],
    F: 4,
    P: page.ref,
  });
  if (options.signed) {
    signature.set(
      PDFName.of('V'),
      doc.context.obj({
        Type: 'Sig',
        Filter: 'Adobe.PPKLite',
        SubFilter: 'adbe.pkcs7.detached',
        ByteRange: [0, 0, 0, 0],
        Contents: PDFHexString.of('00'.repeat(64)),
      }),
    );
  }
  const ref = doc.context.register(signature);
  form.acroForm.addField(ref);
  page.node.addAnnot(ref);
  return Buffer.from(await doc.save({ useObjectStreams: false, updateFieldAppearances: true }));
}

/** A valid PDF whose trailer says it is encrypted (pdf-lib cannot encrypt; the trailer entry is what readers see). */
export async function encryptedPdf(): Promise<Buffer> {
  const plain = (await textPdf(['secret'])).toString('latin1');
  const encrypt =
    '/Encrypt << /Filter /Standard /V 1 /R 2 /O <' + '11'.repeat(32) + '> /U <' + '22'.repeat(32) + '> /P -4 >>';
  return Buffer.from(
    plain.replace(/trailer\s*<</, (m) => `${m}\n${encrypt}\n/ID [<${'33'.repeat(16)}> <${'33'.repeat(16)}>]`),
    'latin1',
  );
}

/** A page whose content stream inflates from a few kilobytes to `megabytes` of drawing operators. */
export function bombPdf(megabytes: number): Buffer {
  const content = deflateSync(Buffer.alloc(megabytes * 1024 * 1024, '0 0 m 1 1 l S\n'), { level: 9 });
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>',
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n')];
  const offsets: number[] = [];
  let length = parts[0]!.length;
  const push = (chunk: Buffer): void => {
    parts.push(chunk);
    length += chunk.length;
  };
  objects.forEach((body, i) => {
    offsets.push(length);
    push(Buffer.from(`${i + 1} 0 obj\n${body}\nendobj\n`));
  });
  offsets.push(length);
  push(Buffer.from(`4 0 obj\n<< /Length ${content.length} /Filter /FlateDecode >>\nstream\n`));
  push(content);
  push(Buffer.from('\nendstream\nendobj\n'));
  const xref = length;
  const table = offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  push(
    Buffer.from(
      `xref\n0 5\n0000000000 65535 f \n${table}trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`,
    ),
  );
  return Buffer.concat(parts);
}
