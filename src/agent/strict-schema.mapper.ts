// Strict structured outputs accept only a subset of JSON Schema: every property required, no free-form objects.
// A client's resultSchema is arbitrary, so we derive a strict-compatible form the model fills, then undo the
// derivation (drop the nulls that stand for omitted optional properties) and validate against the ORIGINAL schema.
// Dropping an assertion keyword (format, minimum, not, ...) is always safe because that validation still runs
// in code; only keywords that shape which keys or items may exist force the JSON-string fallback.

export type JsonSchema = Record<string, unknown>;

export type ResultPlan =
  /** The case has no resultSchema: the model reports `{ summary }`. */
  | { mode: 'summary'; modelSchema: JsonSchema }
  /** The model fills a strict form of the resultSchema directly. */
  | { mode: 'strict'; modelSchema: JsonSchema; original: JsonSchema }
  /** The resultSchema cannot be made strict: the model writes the result as a JSON string we parse. */
  | { mode: 'json_string'; modelSchema: JsonSchema; original: JsonSchema; reason: string };

const SUMMARY_SCHEMA: JsonSchema = {
  anyOf: [
    {
      type: 'object',
      properties: { summary: { type: 'string', description: 'One or two sentences on what was achieved.' } },
      required: ['summary'],
      additionalProperties: false,
    },
    { type: 'null' },
  ],
};

/** Shape-defining keywords strict mode cannot express and that we cannot drop without losing valid results. */
const FALLBACK_KEYWORDS = [
  'allOf',
  'patternProperties',
  'dependentSchemas',
  'dependencies',
  'prefixItems',
  'additionalItems',
  'unevaluatedItems',
] as const;

/** Kept as-is: what strict mode understands and every OpenAI-compatible server we target accepts. */
const KEPT_KEYWORDS = new Set(['type', 'enum', 'const', 'description']);

/** Dropped, but told to the model in the description so it still aims for them (validation runs in code). */
const HINT_KEYWORDS = [
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
] as const;

/** OpenAI allows 10 levels; the result already sits one level below the evaluate_reply root. */
const MAX_DEPTH = 8;

class NotStrictable extends Error {}

export function planResultSchema(resultSchema: JsonSchema | null | undefined): ResultPlan {
  if (resultSchema == null) return { mode: 'summary', modelSchema: SUMMARY_SCHEMA };
  try {
    const strict = new Converter(resultSchema).convert(resultSchema, 0);
    return { mode: 'strict', modelSchema: makeNullable(strict), original: resultSchema };
  } catch (error) {
    if (!(error instanceof NotStrictable)) throw error;
    return {
      mode: 'json_string',
      modelSchema: {
        type: ['string', 'null'],
        description: 'The result as a JSON document (in a string) that validates against the case result schema.',
      },
      original: resultSchema,
      reason: error.message,
    };
  }
}

class Converter {
  private readonly resolving = new Set<string>();

  constructor(private readonly root: JsonSchema) {}

  convert(node: unknown, depth: number): JsonSchema {
    if (!isPlainObject(node)) throw new NotStrictable('a boolean or non-object subschema');
    if (depth > MAX_DEPTH) throw new NotStrictable(`nesting deeper than ${MAX_DEPTH} levels`);
    if (typeof node.$ref === 'string') return this.convertRef(node, depth);
    const found = FALLBACK_KEYWORDS.find((keyword) => keyword in node);
    if (found) throw new NotStrictable(`the keyword "${found}"`);
    const branches = node.anyOf ?? node.oneOf;
    // oneOf becomes anyOf: the model's answer matches at least one branch and the exclusivity is checked in code.
    if (Array.isArray(branches)) return this.convertBranches(node, branches, depth);
    if (!('type' in node) && !('enum' in node) && !('const' in node)) {
      throw new NotStrictable('a subschema without type, enum or const (any value)');
    }
    const out = this.keep(node);
    const types = typeList(node.type);
    if (types.includes('object')) Object.assign(out, this.convertObject(node, depth));
    if (types.includes('array')) out.items = this.convertItems(node, depth);
    return out;
  }

  private convertRef(node: JsonSchema, depth: number): JsonSchema {
    const ref = node.$ref as string;
    if (this.resolving.has(ref)) throw new NotStrictable(`the recursive $ref "${ref}"`);
    const target = resolvePointer(this.root, ref);
    if (target === undefined) throw new NotStrictable(`the $ref "${ref}" that cannot be inlined`);
    this.resolving.add(ref);
    try {
      const siblings: JsonSchema = { ...node };
      delete siblings.$ref;
      return this.convert({ ...target, ...siblings }, depth);
    } finally {
      this.resolving.delete(ref);
    }
  }

  private convertBranches(node: JsonSchema, branches: unknown[], depth: number): JsonSchema {
    const out: JsonSchema = { anyOf: branches.map((branch) => this.convert(branch, depth + 1)) };
    const description = describe(node);
    if (description) out.description = description;
    return out;
  }

  private convertObject(node: JsonSchema, depth: number): JsonSchema {
    const properties = isPlainObject(node.properties) ? node.properties : {};
    const names = Object.keys(properties);
    if (names.length === 0) throw new NotStrictable('an object without declared properties (free-form)');
    const required = new Set(Array.isArray(node.required) ? (node.required as unknown[]).map(String) : []);
    const undeclared = [...required].find((name) => !(name in properties));
    if (undeclared) throw new NotStrictable(`the required property "${undeclared}" that has no schema`);
    const strictProperties: JsonSchema = {};
    for (const name of names) {
      const converted = this.convert(properties[name], depth + 1);
      strictProperties[name] = required.has(name) ? converted : makeNullable(converted);
    }
    return { properties: strictProperties, required: names, additionalProperties: false };
  }

  private convertItems(node: JsonSchema, depth: number): JsonSchema {
    if (!isPlainObject(node.items)) throw new NotStrictable('an array without a single items schema');
    return this.convert(node.items, depth + 1);
  }

  private keep(node: JsonSchema): JsonSchema {
    const out: JsonSchema = {};
    for (const [key, value] of Object.entries(node)) if (KEPT_KEYWORDS.has(key)) out[key] = value;
    const description = describe(node);
    if (description) out.description = description;
    else delete out.description;
    return out;
  }
}

/** The description plus the title and the constraints we dropped, so the model still knows about them. */
function describe(node: JsonSchema): string | undefined {
  const parts: string[] = [];
  if (typeof node.title === 'string') parts.push(node.title);
  if (typeof node.description === 'string') parts.push(node.description);
  const hints = HINT_KEYWORDS.filter((key) => key in node).map((key) => `${key}=${JSON.stringify(node[key])}`);
  if (hints.length > 0) parts.push(`Constraints: ${hints.join(', ')}.`);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** Lets a strict schema also accept null: how an omitted optional property is expressed in strict mode. */
export function makeNullable(schema: JsonSchema): JsonSchema {
  const anyOf = asArray(schema.anyOf);
  if (anyOf) {
    const hasNull = anyOf.some((branch) => isPlainObject(branch) && typeList(branch.type).includes('null'));
    return hasNull ? schema : { ...schema, anyOf: [...anyOf, { type: 'null' }] };
  }
  if ('const' in schema || !('type' in schema)) return { anyOf: [schema, { type: 'null' }] };
  const types = typeList(schema.type);
  if (types.includes('null')) return schema;
  const out: JsonSchema = { ...schema, type: [...types, 'null'] };
  const values = asArray(schema.enum);
  if (values && !values.includes(null)) out.enum = [...values, null];
  return out;
}

/**
 * Undoes the strict form: a null where the original schema had an optional property means "absent". Walks the
 * original schema (refs resolved) next to the value; never mutates the model's answer.
 */
export function restoreResult(original: JsonSchema, value: unknown): unknown {
  return restore(original, original, value, new Set());
}

function restore(root: JsonSchema, node: unknown, value: unknown, seen: Set<string>): unknown {
  if (!isPlainObject(node) || value === null || value === undefined) return value;
  if (typeof node.$ref === 'string') {
    const target = resolvePointer(root, node.$ref);
    if (target === undefined || seen.has(node.$ref)) return value;
    return restore(root, target, value, new Set([...seen, node.$ref]));
  }
  const branches = asArray(node.anyOf ?? node.oneOf);
  if (branches) {
    const branch = branches.find((candidate) => shapeMatches(root, candidate, value));
    return branch === undefined ? value : restore(root, branch, value, seen);
  }
  if (Array.isArray(value)) return value.map((item) => restore(root, node.items, item, seen));
  if (!isPlainObject(value) || !isPlainObject(node.properties)) return value;
  const required = new Set(Array.isArray(node.required) ? (node.required as unknown[]).map(String) : []);
  const out: JsonSchema = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null && !required.has(key) && key in node.properties) continue;
    out[key] = restore(root, node.properties[key], item, seen);
  }
  return out;
}

/** Which anyOf branch produced this value: for objects, the branch declaring exactly the value's keys. */
function shapeMatches(root: JsonSchema, node: unknown, value: unknown): boolean {
  if (!isPlainObject(node)) return false;
  const target = typeof node.$ref === 'string' ? resolvePointer(root, node.$ref) : node;
  if (!isPlainObject(target)) return false;
  const types = typeList(target.type);
  if (types.length === 0) return true;
  if (isPlainObject(value)) {
    if (!types.includes('object') || !isPlainObject(target.properties)) return false;
    const declared = Object.keys(target.properties);
    const keys = Object.keys(value);
    return keys.length === declared.length && keys.every((key) => declared.includes(key));
  }
  return types.includes(jsonType(value)) || (jsonType(value) === 'integer' && types.includes('number'));
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeList(type: unknown): string[] {
  if (typeof type === 'string') return [type];
  return Array.isArray(type) ? type.map(String) : [];
}

/** Local JSON pointers only (`#/$defs/x`, `#/definitions/x`): remote refs cannot be inlined offline. */
function resolvePointer(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isPlainObject(node) || !(key in node)) return undefined;
    node = node[key];
  }
  return isPlainObject(node) ? node : undefined;
}

function asArray(value: unknown): unknown[] | null {
  return Array.isArray(value) ? (value as unknown[]) : null;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
