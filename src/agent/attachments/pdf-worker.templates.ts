// The code run in a worker thread to read one PDF: pdf-lib for form and signature fields, unpdf (pdf.js) for the
// text. It is plain JavaScript in a string (new Worker(code, { eval: true })) so the same worker runs from the
// TypeScript sources under jest and from dist/ in production; the libraries are passed as resolved paths.
export const PDF_WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { bytes, maxPages, maxChars, unpdfPath, pdfLibPath } = workerData;

function message(error) {
  return String((error && (error.name + ': ' + error.message)) || error).slice(0, 300);
}

async function formFields(data) {
  const lib = require(pdfLibPath);
  const doc = await lib.PDFDocument.load(data, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false });
  if (doc.isEncrypted) return { encrypted: true, fields: [], signatures: [] };
  const fields = [];
  const signatures = [];
  for (const field of doc.getForm().getFields().slice(0, 200)) {
    const name = String(field.getName()).slice(0, 200);
    if (field instanceof lib.PDFSignature) {
      signatures.push({ name, signed: field.acroField.dict.get(lib.PDFName.of('V')) !== undefined });
      continue;
    }
    let type = 'other';
    let value = '';
    try {
      if (field instanceof lib.PDFTextField) { type = 'text'; value = field.getText() || ''; }
      else if (field instanceof lib.PDFCheckBox) { type = 'checkbox'; value = field.isChecked() ? 'checked' : ''; }
      else if (field instanceof lib.PDFDropdown) { type = 'dropdown'; value = field.getSelected().join(', '); }
      else if (field instanceof lib.PDFOptionList) { type = 'list'; value = field.getSelected().join(', '); }
      else if (field instanceof lib.PDFRadioGroup) { type = 'radio'; value = field.getSelected() || ''; }
    } catch (error) {
      value = '';
    }
    fields.push({ name, type, value: String(value).slice(0, 500) });
  }
  return { encrypted: false, fields, signatures };
}

async function text(data) {
  const { getDocumentProxy } = require(unpdfPath);
  const pdf = await getDocumentProxy(data, { isEvalSupported: false, stopAtErrors: false, verbosity: 0 });
  const parts = [];
  let length = 0;
  const last = Math.min(pdf.numPages, maxPages);
  for (let number = 1; number <= last && length <= maxChars; number += 1) {
    const page = await pdf.getPage(number);
    const content = await page.getTextContent();
    const line = content.items.map((item) => (item.str || '') + (item.hasEOL ? '\n' : ' ')).join('');
    parts.push(line);
    length += line.length;
  }
  return { pages: pdf.numPages, text: parts.join('\n'), readAll: last === pdf.numPages };
}

(async () => {
  const out = { status: 'ok', pages: null, text: null, truncated: false, fields: [], signatures: [], problems: [] };
  let form = null;
  try {
    form = await formFields(new Uint8Array(bytes));
  } catch (error) {
    out.problems.push('form: ' + message(error));
  }
  if (form && form.encrypted) {
    out.status = 'encrypted';
    parentPort.postMessage(out);
    return;
  }
  if (form) {
    out.fields = form.fields;
    out.signatures = form.signatures;
  }
  try {
    const read = await text(new Uint8Array(bytes));
    out.pages = read.pages;
    const clean = read.text.replace(/[ \t]+/g, ' ').replace(/\n{3,}/g, '\n\n').trim();
    out.truncated = clean.length > maxChars || !read.readAll;
    out.text = clean.slice(0, maxChars) || null;
  } catch (error) {
    out.problems.push('text: ' + message(error));
    out.status = /Password/i.test(message(error)) ? 'encrypted' : form ? 'ok' : 'malformed';
  }
  parentPort.postMessage(out);
})().catch((error) => parentPort.postMessage({ status: 'malformed', problems: [message(error)] }));
`;
