// Validates a result against a case's ORIGINAL resultSchema: the one check that makes a result trustworthy,
// whichever agent produced it.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { JsonSchema } from './strict-schema.mapper';

export type ValidationOutcome = { ok: true } | { ok: false; message: string; missing: string[] };

// strict: false because client schemas routinely carry keywords ajv does not know (examples, x-*, ...);
// unknown keywords are ignored instead of making the schema unusable.
const options = { strict: false, allErrors: true } as const;
const newEngines = () => ({
  draft7: withFormats(new Ajv(options)),
  draft2019: withFormats(new Ajv2019(options)),
  draft2020: withFormats(new Ajv2020(options)),
});

// Case contexts are reloaded per job, so cache by content rather than by object identity.
const CACHE_LIMIT = 200;
const cache = new Map<string, ValidateFunction | Error>();
// An ajv instance keeps every schema it compiled (code, regexps) for good, even after removeSchema: at one distinct
// schema per case that is a leak. Fresh instances every ENGINE_COMPILES compiles bound it; an old instance lives on
// only while the cache still holds a function it compiled.
const ENGINE_COMPILES = 200;
let engines = newEngines();
let compiledOnEngines = 0;

export function validateResult(schema: JsonSchema, value: unknown): ValidationOutcome {
  const validate = compile(schema);
  if (validate instanceof Error) {
    return { ok: false, message: `the resultSchema is not a usable JSON Schema (${validate.message})`, missing: [] };
  }
  if (validate(value)) return { ok: true };
  const errors = validate.errors ?? [];
  return { ok: false, message: formatErrors(errors), missing: missingProperties(errors) };
}

function compile(schema: JsonSchema): ValidateFunction | Error {
  const key = JSON.stringify(schema);
  const cached = cache.get(key);
  if (cached) return cached;
  let compiled: ValidateFunction | Error;
  if (compiledOnEngines >= ENGINE_COMPILES) {
    engines = newEngines();
    compiledOnEngines = 0;
  }
  compiledOnEngines += 1;
  const engine = engineFor(schema);
  const usable = withoutUnknownDialect(schema);
  try {
    compiled = engine.compile(usable);
  } catch (error) {
    compiled = error instanceof Error ? error : new Error(String(error));
  } finally {
    // Frees the $id too: two cases may use one $id with different bodies.
    engine.removeSchema(usable);
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, compiled);
  return compiled;
}

export type SchemaDialect = 'draft7' | 'draft2019' | 'draft2020';

/** Which ajv engine a schema is compiled with (createCase's check uses the same choice, result-schema.policy.ts). */
export function dialectOf(schema: JsonSchema): SchemaDialect {
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (dialect.includes('2020-12')) return 'draft2020';
  if (dialect.includes('2019-09')) return 'draft2019';
  return 'draft7';
}

function engineFor(schema: JsonSchema): Ajv {
  return engines[dialectOf(schema)];
}

/** Draft-04/06 or odd `$schema` values would make ajv refuse to compile; draft-07 semantics are close enough. */
export function withoutUnknownDialect(schema: JsonSchema): JsonSchema {
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (dialect === '' || /2020-12|2019-09|draft-07/.test(dialect)) return schema;
  const copy: JsonSchema = { ...schema };
  delete copy.$schema;
  return copy;
}

function formatErrors(errors: ErrorObject[]): string {
  return errors
    .slice(0, 10)
    .map((error) => `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}`)
    .join('; ');
}

/** Dotted paths of the required properties that are absent: what we ask the human for. */
function missingProperties(errors: ErrorObject[]): string[] {
  return errors
    .filter((error) => error.keyword === 'required')
    .map((error) => {
      const parent = error.instancePath.split('/').filter(Boolean).join('.');
      const name = String((error.params as { missingProperty?: unknown }).missingProperty);
      return parent ? `${parent}.${name}` : name;
    });
}

function withFormats<T extends Ajv>(ajv: T): T {
  addFormats(ajv);
  return ajv;
}
