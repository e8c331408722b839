// Whether a createCase resultSchema is a usable JSON Schema: ajv must compile it. Compiling keeps the schema, its
// generated function and its regular expressions in the ajv instance for good (removeSchema drops the schema from
// the cache but not what the compiled code left in the instance's shared scope): about 3-4.5 KB per distinct schema,
// a leak at one per create. So verdicts are kept per schema content (a campaign sends one schema thousands of
// times: compiled once), bounded, and the ajv instance that compiles them is replaced every COMPILES_PER_ENGINE
// compiles, letting what it retained go with it.
import { createHash } from 'node:crypto';
import Ajv from 'ajv';
import { stableJson } from './case-values.mapper';

/** Distinct schemas whose verdict is remembered (least recently used go first). */
const VERDICTS_MAX = 1_000;
/** A fresh instance costs ~5 ms; 200 compiles retain under 1 MB. */
const COMPILES_PER_ENGINE = 200;

const newEngine = (): Ajv => new Ajv({ strict: false, allErrors: false, validateSchema: true });

let engine = newEngine();
let compiledOnEngine = 0;
/** sha256 of the schema's canonical JSON -> its problem, or null when it compiles. */
const verdicts = new Map<string, string | null>();

/** Null when `schema` compiles, else ajv's reason. */
export function resultSchemaProblem(schema: Record<string, unknown>): string | null {
  const key = createHash('sha256').update(stableJson(schema)).digest('base64url');
  const known = verdicts.get(key);
  if (known !== undefined) {
    verdicts.delete(key);
    verdicts.set(key, known);
    return known;
  }
  const problem = compile(schema);
  if (verdicts.size >= VERDICTS_MAX) verdicts.delete(verdicts.keys().next().value!);
  verdicts.set(key, problem);
  return problem;
}

function compile(schema: Record<string, unknown>): string | null {
  if (compiledOnEngine >= COMPILES_PER_ENGINE) {
    engine = newEngine();
    compiledOnEngine = 0;
  }
  compiledOnEngine += 1;
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
  const internals = engine as unknown as {
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
