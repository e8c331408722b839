// Result values written as prose rather than "field: value" lines ("we will be 14", "invoice 55012 for $1,980.75",
// "delivered on Thursday, May 15"), found by what the schema property is called and typed. Numbers and codes that
// already appear in our own mail or the case's knowledge (the PO we quoted) are never taken for an answer.
import * as chrono from 'chrono-node';
import { isPlainObject } from '../strict-schema.mapper';
import type { JsonSchema } from '../strict-schema.mapper';

const MONEY_NAME = /amount|total|price|cost|sum|fee|balance|value/i;
const DATE_NAME = /date|day|when|eta/i;
const CODE_NAME = /number|id$|code|ref|reference|no$/i;
const MONTHS =
  'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';

export function extractProseValues(text: string, schema: JsonSchema, known: string): Record<string, unknown> {
  const properties = isPlainObject(schema.properties) ? schema.properties : {};
  const out: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    const types = propertyTypes(property);
    let value: unknown;
    if (types.includes('number') || types.includes('integer')) {
      value = MONEY_NAME.test(name) ? money(text) : count(text, known, types.includes('integer'));
    } else if (types.includes('string') && DATE_NAME.test(name)) {
      value = calendarDate(text);
    } else if (types.includes('string') && CODE_NAME.test(name)) {
      value = code(text, name, known);
    }
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function propertyTypes(property: unknown): string[] {
  if (!isPlainObject(property)) return [];
  if (typeof property.type === 'string') return [property.type];
  return Array.isArray(property.type) ? property.type.map(String) : [];
}

/** "$12,480.00", "EUR 8.950,00", "1,980.75 USD", "total 3200": the first amount marked as money. */
function money(text: string): number | undefined {
  const marked =
    /(?:[$€£]|\b(?:usd|eur|gbp)\b)\s?(\d[\d.,]*\d|\d)|(\d[\d.,]*\d|\d)\s?(?:usd|eur|gbp|dollars|euros)\b|\b(?:total|amount(?: due)?)(?: amount)?(?: is| of|:)?\s+(\d[\d.,]*\d|\d)/i.exec(
      text,
    );
  const raw = marked?.[1] ?? marked?.[2] ?? marked?.[3];
  return raw === undefined ? undefined : parseAmount(raw);
}

export function parseAmount(raw: string): number | undefined {
  // "8.950,00": dots group thousands, the comma is the decimal point.
  const european = /^\d{1,3}(\.\d{3})+(,\d{1,2})?$|^\d+,\d{1,2}$/.test(raw);
  const normalized = european ? raw.replace(/\./g, '').replace(',', '.') : raw.replace(/,/g, '');
  const value = Number(normalized);
  return Number.isFinite(value) ? value : undefined;
}

/** A count is the one standalone number of the reply: not a date, a time, a range, an amount or one we quoted. */
function count(text: string, known: string, integer: boolean): number | undefined {
  const candidates = new Set<string>();
  const pattern = new RegExp(
    String.raw`(?<![\w$€£.,/:#-])(\d+(?:\.\d+)?)(?![\w%/:-]|[.,]\d|\s*(?:am|pm|%|st|nd|rd|th|days?|hours?|weeks?)\b)`,
    'gi',
  );
  for (const match of text.matchAll(pattern)) {
    const raw = match[1] ?? '';
    const before = text.slice(Math.max(0, match.index - 12), match.index).toLowerCase();
    const after = text.slice(match.index + raw.length, match.index + raw.length + 12).toLowerCase();
    if (new RegExp(`(?:${MONTHS})\\.?\\s*$`).test(before) || new RegExp(`^\\s*(?:${MONTHS})\\b`).test(after)) continue;
    if (
      /(?:between|from)\s+$/.test(before) ||
      /^\s*(?:and|to|or|-)\s*\d/.test(after) ||
      /\d\s*(?:and|to|or|-)\s*$/.test(before)
    ) {
      return undefined; // "between 10 and 14" is not a final number
    }
    if (new RegExp(`(?<!\\d)${raw}(?!\\d)`).test(known)) continue;
    candidates.add(raw);
  }
  if (candidates.size !== 1) return undefined;
  const value = Number([...candidates][0]);
  return integer && !Number.isInteger(value) ? undefined : value;
}

/** A day the reply gives for certain ("May 15", "5/20", "Monday the 19th"); "by Friday" is a promise, not a date. */
function calendarDate(text: string): string | undefined {
  for (const result of chrono.parse(text, new Date(), { forwardDate: true })) {
    if (!result.start.isCertain('day')) continue;
    const before = text.slice(Math.max(0, result.index - 8), result.index).toLowerCase();
    if (/\b(?:by|until|till|before|through)\s*$/.test(before)) continue;
    const year = result.start.get('year');
    const month = result.start.get('month');
    const day = result.start.get('day');
    if (year === null || month === null || day === null) continue;
    return `${String(year)}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  }
  return undefined;
}

/** An identifier after a word of the property's name ("invoice 55012", "Invoice # GW-2025-0318"), or one shaped like a code ("INV-88120"). */
function code(text: string, property: string, known: string): string | undefined {
  const nameWords = property
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[\s_-]+/)
    .filter((word) => !/^(number|id|no|code|ref|reference)$/.test(word));
  const token = /[A-Za-z0-9][A-Za-z0-9/-]*\d[A-Za-z0-9/-]*/g;
  const usable = (candidate: string): boolean =>
    candidate.length >= 4 &&
    !new RegExp(`(?<![\\w-])${candidate}(?![\\w-])`, 'i').test(known) &&
    !/^\d{1,2}\/\d{1,2}/.test(candidate);
  for (const word of nameWords) {
    const mention = new RegExp(`\\b${word}s?\\b`, 'gi');
    for (const match of text.matchAll(mention)) {
      const window = text.slice(match.index + match[0].length, match.index + match[0].length + 40);
      for (const [candidate] of window.matchAll(token)) {
        if (/^[\d,.]+$/.test(candidate) && /[$€£]\s*$/.test(window.slice(0, window.indexOf(candidate)))) break;
        if (usable(candidate)) return candidate;
      }
    }
  }
  const shaped = /\b[A-Z]{2,}-?\d[\w-]*\b/.exec(text);
  return shaped && usable(shaped[0]) ? shaped[0] : undefined;
}
