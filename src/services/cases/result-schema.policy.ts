// Whether a createCase resultSchema is a usable JSON Schema: ajv must compile it. Compiling keeps the schema, its
// generated function and its regular expressions in the ajv instance for good (removeSchema drops the schema from
// the cache but not what the compiled code left in the instance's shared scope): about 3-4.5 KB per distinct schema,
// a leak at one per create. So verdicts are kept per schema content (a campaign sends one schema thousands of
// times: compiled once), bounded, and the ajv instance that compiles them is replaced every COMPILES_PER_ENGINE
// compiles, letting what it retained go with it.
//
// Compiling (ajv's code generation, ~0.5 ms of CPU) is also most of what a create costs when every case brings a
// schema of its own. Most schemas need none of it: what compiling finds beyond the meta-schema is a reference that
// does not resolve and a pattern that is no regular expression. So a schema is checked against its dialect's
// meta-schema, its patterns are tried, and only one with references ($ref, nested $id, anchors) is compiled.
import { createHash } from 'node:crypto';
import Ajv from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import { dialectOf, withoutUnknownDialect } from '../../agent/result.validator';
import { stableJson } from './case-values.mapper';

/** Distinct schemas whose verdict is remembered (least recently used go first). */
const VERDICTS_MAX = 1_000;
/** A fresh instance costs ~5 ms; 200 compiles retain under 1 MB. */
const COMPILES_PER_ENGINE = 200;

const options = { strict: false, allErrors: false, validateSchema: true } as const;
// The worker's dialects (agent/result.validator.ts): a schema it can use is one createCase accepts.
const newEngines = () => ({
  draft7: new Ajv(options),
  draft2019: new Ajv2019(options),
  draft2020: new Ajv2020(options),
});

let engines = newEngines();
let compiledOnEngine = 0;
/** sha256 of the schema's canonical JSON -> its problem, or null when it compiles. */
const verdicts = new Map<string, string | null>();

/** Null when `schema` is usable (the worker can compile it), else ajv's reason. */
export function resultSchemaProblem(schema: Record<string, unknown>): string | null {
  const key = createHash('sha256').update(stableJson(schema)).digest('base64url');
  const known = verdicts.get(key);
  if (known !== undefined) {
    verdicts.delete(key);
    verdicts.set(key, known);
    return known;
  }
  const problem = check(schema);
  if (verdicts.size >= VERDICTS_MAX) verdicts.delete(verdicts.keys().next().value!);
  verdicts.set(key, problem);
  return problem;
}

function check(raw: Record<string, unknown>): string | null {
  const schema = withoutUnknownDialect(raw);
  const engine = engines[dialectOf(schema)];
  try {
    if (!engine.validateSchema(schema)) return engine.errorsText(engine.errors, { dataVar: 'schema' });
  } catch (error) {
    return (error as Error).message;
  }
  if (hasReferences(schema)) return compile(schema);
  return patternProblem(schema);
}

/** Keywords whose meaning needs resolving against the schema: only compiling tells whether they resolve. */
const REFERENCE_KEYWORDS = new Set(['$ref', '$dynamicRef', '$recursiveRef', '$anchor', '$dynamicAnchor', '$id']);

function hasReferences(node: unknown, root = true): boolean {
  if (Array.isArray(node)) return node.some((item) => hasReferences(item, false));
  if (node === null || typeof node !== 'object') return false;
  return Object.entries(node).some(
    // A root $id only names the schema; a nested one starts a scope references can point into.
    ([key, value]) => (REFERENCE_KEYWORDS.has(key) && !(root && key === '$id')) || hasReferences(value, false),
  );
}

/** What compiling would say of `pattern` values and `patternProperties` keys (ajv builds them with the u flag). */
function patternProblem(node: unknown): string | null {
  if (Array.isArray(node)) {
    for (const item of node) {
      const problem = patternProblem(item);
      if (problem) return problem;
    }
    return null;
  }
  if (node === null || typeof node !== 'object') return null;
  const record = node as Record<string, unknown>;
  const patterns = [
    ...(typeof record.pattern === 'string' ? [record.pattern] : []),
    ...(record.patternProperties && typeof record.patternProperties === 'object'
      ? Object.keys(record.patternProperties)
      : []),
  ];
  for (const pattern of patterns) {
    try {
      new RegExp(pattern, 'u');
    } catch (error) {
      return `pattern ${JSON.stringify(pattern)} is not a valid regular expression (${(error as Error).message})`;
    }
  }
  for (const value of Object.values(record)) {
    const problem = patternProblem(value);
    if (problem) return problem;
  }
  return null;
}

function compile(schema: Record<string, unknown>): string | null {
  if (compiledOnEngine >= COMPILES_PER_ENGINE) {
    engines = newEngines();
    compiledOnEngine = 0;
  }
  compiledOnEngine += 1;
  const engine = engines[dialectOf(schema)];
  try {
    engine.compile(schema);
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    // Also frees the schema's $id, so two cases may use one $id with different bodies.
    engine.removeSchema(schema);
  }
}

/**
 * What the check holds now, for the test that pins it as bounded: remembered verdicts, compiles on the live
 * instance, and the instance's own schema cache and compiled-code scope (ajv internals, read defensively).
 */
export function resultSchemaFootprint(): { verdicts: number; compiles: number; ajvCache: number; ajvScope: number } {
  const internals = engines.draft7 as unknown as {
    _cache?: Map<unknown, unknown>;
    scope?: { _values?: Record<string, Set<unknown>> };
  };
  const scope = Object.values(internals.scope?._values ?? {}).reduce((n, set) => n + set.size, 0);
  return {
    verdicts: verdicts.size,
    compiles: compiledOnEngine,
    ajvCache: internals._cache?.size ?? 0,
    ajvScope: scope,
  };
}

export const RESULT_SCHEMA_BOUNDS = { verdicts: VERDICTS_MAX, compilesPerEngine: COMPILES_PER_ENGINE } as const;
