// What the reply rules look at besides phrase lists: sentences, the reply's own attachments, the text of our own
// mail (so a number we quoted is not read back as an answer) and a schema result from lines, JSON or prose.
import type { CaseContext, ContextAttachment, ThreadMessage } from '../agent.types';
import { validateResult } from '../result.validator';
import { isPlainObject } from '../strict-schema.mapper';
import type { JsonSchema } from '../strict-schema.mapper';
import { CONDITIONS, findPhrase } from './keyword.rules';
import { extractProseValues } from './prose-value.extractor';
import { extractResult } from './result.extractor';

export function sentencesOf(text: string): string[] {
  return text
    .split(/\n+/)
    .flatMap((line) => line.split(/(?<=[.!?])\s+/))
    .map((sentence) => sentence.trim())
    .filter(Boolean);
}

/** The counterparty's own question sentences, so the human sees exactly what was asked. */
export function questionSentences(text: string): string[] {
  return sentencesOf(text).filter((sentence) => sentence.includes('?'));
}

/** The first phrase found in a statement (not a question) of the text. */
export function findInStatements(text: string, phrases: readonly string[]): string | null {
  for (const sentence of sentencesOf(text)) {
    if (sentence.includes('?')) continue;
    const phrase = findPhrase(sentence, phrases);
    if (phrase) return phrase;
  }
  return null;
}

/**
 * A refusal phrase in a sentence that sets no condition. Pattern phrases (marked "~") are weaker evidence, so
 * they do not count when the reply also asks something ("no record of it - could it be under another name?").
 */
export function findRefusal(text: string, phrases: readonly string[]): string | null {
  const asks = text.includes('?');
  const usable = asks ? phrases.filter((phrase) => !phrase.startsWith('~')) : phrases;
  for (const sentence of sentencesOf(text)) {
    const phrase = findPhrase(sentence, usable);
    if (!phrase) continue;
    if (phrase.startsWith('~') && findPhrase(sentence, CONDITIONS)) continue;
    return phrase;
  }
  return null;
}

/** Attachments that came with this message (same arrival time, within a minute). */
export function attachmentsOf(context: CaseContext, message: ThreadMessage): ContextAttachment[] {
  return (context.attachments ?? []).filter(
    (file) => file.direction === 'inbound' && Math.abs(file.at.getTime() - message.at.getTime()) < 60_000,
  );
}

const DOCUMENT_TYPE = /pdf|image\/|msword|officedocument|opendocument|text\/plain/;
const DOCUMENT_NAME = /\.(pdf|jpe?g|png|heic|tiff?|docx?|odt|txt)$/i;

export function isDocument(file: ContextAttachment): boolean {
  return DOCUMENT_TYPE.test(file.type ?? '') || DOCUMENT_NAME.test(file.name ?? '');
}

/** Words of the file name that also occur in the objective ("W9_Northwind_signed.pdf" for "a signed W-9"). */
export function nameMatchesObjective(file: ContextAttachment, objective: string): string[] {
  const squash = (word: string): string => word.toLowerCase().replace(/[^a-z0-9]/g, '');
  const wanted = new Set(
    objective
      .split(/[\s,.;:()]+/)
      .map(squash)
      .filter((word) => word.length >= 2),
  );
  const name = (file.name ?? '').replace(/\.[a-z0-9]+$/i, '');
  return name
    .split(/[\s_.()-]+/)
    .map(squash)
    .filter((word) => word.length >= 2 && wanted.has(word));
}

/** Everything we said or know: numbers and codes in here are ours, not the counterparty's answer. */
export function ourOwnText(context: CaseContext): string {
  const outbound = context.thread.filter((m) => m.direction === 'outbound').map((m) => `${m.subject ?? ''}\n${m.text}`);
  return [context.goal.objective, JSON.stringify(context.goal.knowledge ?? null), ...outbound].join('\n');
}

export interface SchemaReading {
  value: Record<string, unknown>;
  complete: boolean;
  missing: string[];
  message: string;
  source: 'json' | 'fields' | 'prose' | 'none';
}

/** The result the reply (and the text of its attachments) gives for the case's resultSchema. */
export function readSchemaResult(text: string, schema: JsonSchema, known: string): SchemaReading {
  const extraction = extractResult(text, schema);
  if (extraction.source === 'json') {
    const value = isPlainObject(extraction.value) ? extraction.value : {};
    const outcome = validateResult(schema, extraction.value);
    return outcome.ok
      ? { value, complete: true, missing: [], message: '', source: 'json' }
      : { value, complete: false, missing: outcome.missing, message: outcome.message, source: 'json' };
  }
  const prose = extractProseValues(text, schema, known);
  const value = { ...prose, ...(extraction.value ?? {}) };
  const source = extraction.source === 'fields' ? 'fields' : Object.keys(prose).length > 0 ? 'prose' : 'none';
  const outcome = validateResult(schema, value);
  return outcome.ok
    ? { value, complete: true, missing: [], message: '', source }
    : { value, complete: false, missing: outcome.missing, message: outcome.message, source };
}

/** The text the rules read: the reply and, fenced off by nothing but a blank line, its attachments' extracted text. */
export function readableText(latest: ThreadMessage, files: readonly ContextAttachment[]): string {
  const extracted = files.map((file) => file.extraction?.text ?? '').filter(Boolean);
  return [latest.text, ...extracted].join('\n\n');
}
