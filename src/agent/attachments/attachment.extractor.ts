// Reads what an attachment says, once, with hard limits: bytes, pages, characters, time and memory. The type comes
// from the bytes (file-type), never from the sender's header. PDFs are read in a worker thread with a heap limit and
// a deadline, so a hostile file (huge, malformed, encrypted, a decompression bomb) costs bounded time and memory.
// Nothing here throws: every outcome is a status the agent can be told about.
import { Worker } from 'node:worker_threads';
import { fileTypeFromBuffer } from 'file-type';
import type { AttachmentExtraction, ExtractionStatus } from '../agent.types';
import { PDF_WORKER_SOURCE } from './pdf-worker.templates';

export interface ExtractionLimits {
  /** Files larger than this are not read at all. */
  maxBytes: number;
  maxPages: number;
  /** Characters of text kept per attachment. */
  maxChars: number;
  timeoutMs: number;
  /** Heap of the PDF worker thread. */
  memoryMb: number;
}

export const EXTRACTION_LIMITS: ExtractionLimits = {
  maxBytes: 15 * 1024 * 1024,
  maxPages: 30,
  maxChars: 8000,
  timeoutMs: 10_000,
  memoryMb: 256,
};

const TEXT_TYPES = /^text\/|^application\/(json|xml|csv)$/;

export async function extractAttachment(
  bytes: Buffer,
  limits: ExtractionLimits = EXTRACTION_LIMITS,
): Promise<AttachmentExtraction> {
  try {
    if (bytes.length > limits.maxBytes) return empty('too_large', null);
    const detectedType = await detectType(bytes);
    if (detectedType === 'application/pdf') return await readPdf(bytes, limits);
    if (detectedType !== null && TEXT_TYPES.test(detectedType)) return readText(bytes, detectedType, limits);
    return empty('unsupported', detectedType);
  } catch {
    return empty('malformed', null);
  }
}

/** The type the bytes say; plain text has no magic number, so valid UTF-8 without NUL bytes counts as text/plain. */
export async function detectType(bytes: Buffer): Promise<string | null> {
  const found = await fileTypeFromBuffer(bytes);
  if (found) return found.mime;
  const head = bytes.subarray(0, 64 * 1024);
  if (head.length === 0 || head.includes(0)) return null;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, lastCompleteChar(head)));
    return 'text/plain';
  } catch {
    return null;
  }
}

/** Where to cut so a multi-byte character split at the 64 KiB mark does not make valid text look invalid. */
function lastCompleteChar(head: Buffer): number {
  const end = head.length;
  for (let back = 1; back <= 3 && end - back >= 0; back += 1) {
    const byte = head[end - back] ?? 0;
    if ((byte & 0xc0) === 0xc0) return end - back; // a lead byte whose continuation was cut off
    if ((byte & 0xc0) !== 0x80) break;
  }
  return end;
}

function readText(bytes: Buffer, detectedType: string, limits: ExtractionLimits): AttachmentExtraction {
  const raw = new TextDecoder('utf-8').decode(bytes.subarray(0, limits.maxChars * 4));
  const text = raw.replaceAll('\u0000', '').trim();
  return {
    ...empty('ok', detectedType),
    text: text.slice(0, limits.maxChars) || null,
    truncated: text.length > limits.maxChars || bytes.length > limits.maxChars * 4,
  };
}

interface WorkerAnswer {
  status: ExtractionStatus;
  pages?: number | null;
  text?: string | null;
  truncated?: boolean;
  fields?: AttachmentExtraction['fields'];
  signatures?: AttachmentExtraction['signatures'];
}

function readPdf(bytes: Buffer, limits: ExtractionLimits): Promise<AttachmentExtraction> {
  return new Promise((resolve) => {
    let settled = false;
    const worker = new Worker(PDF_WORKER_SOURCE, {
      eval: true,
      workerData: {
        bytes,
        maxPages: limits.maxPages,
        maxChars: limits.maxChars,
        unpdfPath: require.resolve('unpdf'),
        pdfLibPath: require.resolve('pdf-lib'),
      },
      resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
      stdout: true,
      stderr: true,
    });
    const finish = (result: AttachmentExtraction): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(result);
    };
    const timer = setTimeout(() => finish(empty('timeout', 'application/pdf')), limits.timeoutMs);
    worker.once('message', (answer: WorkerAnswer) =>
      finish({
        status: answer.status,
        detectedType: 'application/pdf',
        pages: answer.pages ?? null,
        text: answer.text ?? null,
        truncated: answer.truncated ?? false,
        fields: answer.fields ?? [],
        signatures: answer.signatures ?? [],
      }),
    );
    worker.once('error', (error: Error & { code?: string }) =>
      finish(empty(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'too_large' : 'malformed', 'application/pdf')),
    );
    worker.once('exit', () => finish(empty('malformed', 'application/pdf')));
  });
}

function empty(status: ExtractionStatus, detectedType: string | null): AttachmentExtraction {
  return { status, detectedType, pages: null, text: null, truncated: false, fields: [], signatures: [] };
}
