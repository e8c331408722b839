// Reads a structured result out of plain email text without a model: a `result: {json}` line, or `key: value`
// lines whose keys name properties of the case's resultSchema ("Invoice number: 42" fills invoiceNumber).
import { isPlainObject } from '../strict-schema.mapper';
import type { JsonSchema } from '../strict-schema.mapper';

export type Extraction =
  | { source: 'json'; value: unknown }
  | { source: 'fields'; value: Record<string, unknown> }
  | { source: 'none'; value: null };

const RESULT_LINE = /^[ \t]*result[ \t]*[:=][ \t]*(?=[{[])/im;
const FIELD_LINE = /^[ \t]*[-*]?[ \t]*([^:=\n]{1,60}?)[ \t]*[:=][ \t]*(.+?)[ \t]*$/gm;

export function extractResult(text: string, schema: JsonSchema | null | undefined): Extraction {
  const json = extractJsonLine(text);
  if (json !== undefined) return { source: 'json', value: json };
  const fields = schema ? extractFields(text, schema) : {};
  return Object.keys(fields).length > 0 ? { source: 'fields', value: fields } : { source: 'none', value: null };
}

/** The JSON after `result:`; it may run over several lines, so try each closing bracket from the last one back. */
function extractJsonLine(text: string): unknown {
  const match = RESULT_LINE.exec(text);
  if (!match) return undefined;
  const rest = text.slice(match.index + match[0].length);
  for (let end = rest.length; end > 0; end -= 1) {
    const char = rest[end - 1];
    if (char !== '}' && char !== ']') continue;
    try {
      return JSON.parse(rest.slice(0, end)) as unknown;
    } catch {
      // Not this bracket; try an earlier one.
    }
  }
  return undefined;
}

export function extractFields(text: string, schema: JsonSchema): Record<string, unknown> {
  const properties = isPlainObject(schema.properties) ? schema.properties : {};
  const byKey = new Map(Object.keys(properties).map((name) => [squashKey(name), name]));
  const out: Record<string, unknown> = {};
  for (const [, rawKey = '', rawValue = ''] of text.matchAll(FIELD_LINE)) {
    const name = propertyNamed(rawKey, byKey);
    if (name === undefined || name in out) continue;
    out[name] = coerce(unquote(rawValue), properties[name]);
  }
  return out;
}

/** The key may follow other words on its line ("Done! Invoice number: 42"): try the longest word suffix first. */
function propertyNamed(rawKey: string, byKey: Map<string, string>): string | undefined {
  const words = rawKey.trim().split(/\s+/);
  for (let start = 0; start < words.length; start += 1) {
    const name = byKey.get(squashKey(words.slice(start).join(' ')));
    if (name !== undefined) return name;
  }
  return undefined;
}

/** "Invoice number", "invoice_number" and "invoiceNumber" all name the same property. */
function squashKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function unquote(value: string): string {
  const trimmed = value.trim();
  return /^(["']).*\1$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
}

/** Turns the text into the JSON type the property expects; leaves it a string when it does not fit (ajv says why). */
export function coerce(value: string, propertySchema: unknown): unknown {
  // Strings accept anything, so they are tried last: "42" for ["string", "integer"] becomes 42.
  const types = schemaTypes(propertySchema).sort((a, b) => Number(a === 'string') - Number(b === 'string'));
  if (types.includes('null') && /^(null|none|n\/a)$/i.test(value)) return null;
  for (const type of types) {
    const coerced = coerceTo(type, value, propertySchema);
    if (coerced !== undefined) return coerced;
  }
  return value;
}

function coerceTo(type: string, value: string, propertySchema: unknown): unknown {
  switch (type) {
    case 'integer':
    case 'number': {
      const number = Number(value.replace(/[\s,$€£]/g, ''));
      if (!Number.isFinite(number) || (type === 'integer' && !Number.isInteger(number))) return undefined;
      return number;
    }
    case 'boolean':
      if (/^(yes|y|true|1|confirmed)$/i.test(value)) return true;
      if (/^(no|n|false|0)$/i.test(value)) return false;
      return undefined;
    case 'array': {
      const items = isPlainObject(propertySchema) ? propertySchema.items : undefined;
      return value
        .split(/[,;]/)
        .map((item) => item.trim())
        .filter(Boolean)
        .map((item) => coerce(item, items));
    }
    case 'object':
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return undefined;
      }
    case 'string':
      return value;
    default:
      return undefined;
  }
}

function schemaTypes(schema: unknown): string[] {
  if (!isPlainObject(schema)) return ['string'];
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.map(String);
  return ['string'];
}
