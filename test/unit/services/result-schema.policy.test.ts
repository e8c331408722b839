// createCase's resultSchema check must not keep every schema it ever compiled (issue 19: ~3-4.5 KB retained per
// create). Many distinct schemas through the real input schema: what the check holds stays under fixed bounds.
import { createCaseSchema, parseInput } from '../../../src/services/cases/case-input.schema';
import {
  RESULT_SCHEMA_BOUNDS,
  resultSchemaFootprint,
  resultSchemaProblem,
} from '../../../src/services/cases/result-schema.policy';

const schema = createCaseSchema({ allowPrivateWebhooks: false });

const input = (resultSchema: Record<string, unknown>) => ({
  channel: 'EMAIL',
  goal: { objective: 'Collect a signed W-9' },
  counterparty: { address: 'vera@vendor.example', name: 'Vera' },
  senderPersona: { name: 'Sam' },
  resultSchema,
});

// With a reference, so each is compiled (a schema without one is checked without compiling, below).
const distinct = (i: number) => ({
  $id: `https://example.com/result-${i % 3}`, // a reused $id with another body must not be refused as a duplicate
  type: 'object',
  definitions: { value: { type: 'string', pattern: `^v${i}` } },
  properties: { [`field${i}`]: { $ref: '#/definitions/value' } },
  required: [`field${i}`],
});

it('keeps the ajv instance and the verdicts bounded however many distinct schemas are checked', () => {
  const peak = { verdicts: 0, compiles: 0, ajvCache: 0, ajvScope: 0 };
  let scopeAfterFirstRound = 0;
  for (let i = 0; i < 2_500; i++) {
    parseInput(schema, input(distinct(i)));
    const now = resultSchemaFootprint();
    for (const k of Object.keys(peak) as Array<keyof typeof peak>) peak[k] = Math.max(peak[k], now[k]);
    if (i === RESULT_SCHEMA_BOUNDS.compilesPerEngine - 1) scopeAfterFirstRound = now.ajvScope;
  }
  expect(peak.verdicts).toBeLessThanOrEqual(RESULT_SCHEMA_BOUNDS.verdicts);
  expect(peak.compiles).toBeLessThanOrEqual(RESULT_SCHEMA_BOUNDS.compilesPerEngine);
  // removeSchema leaves the instance's schema cache with at most the meta-schema's entries.
  expect(peak.ajvCache).toBeLessThanOrEqual(2);
  // Compiled code's values accumulate on one instance (that is the leak) but never past one round of compiles.
  expect(scopeAfterFirstRound).toBeGreaterThan(RESULT_SCHEMA_BOUNDS.compilesPerEngine);
  expect(peak.ajvScope).toBeLessThanOrEqual(scopeAfterFirstRound);
});

it('compiles one schema once however often it comes, whatever its key order', () => {
  const a = { type: 'object', properties: { received: { type: 'boolean' } }, required: ['received'] };
  const b = { required: ['received'], properties: { received: { type: 'boolean' } }, type: 'object' };
  expect(resultSchemaProblem(a)).toBeNull();
  const before = resultSchemaFootprint().compiles;
  for (let i = 0; i < 100; i++) parseInput(schema, input(i % 2 ? a : b));
  expect(resultSchemaFootprint().compiles).toBe(before);
});

it('still refuses a schema ajv cannot compile, naming resultSchema', () => {
  expect(() => parseInput(schema, input({ type: 'no-such-type' }))).toThrow(
    /^resultSchema: is not a valid JSON Schema/,
  );
  expect(() => parseInput(schema, input({ $ref: '#/definitions/missing' }))).toThrow(/resultSchema: /);
  // The verdict is remembered: the same bad schema is refused again without compiling.
  const before = resultSchemaFootprint().compiles;
  expect(resultSchemaProblem({ type: 'no-such-type' })).toMatch(/type/);
  expect(resultSchemaFootprint().compiles).toBe(before);
});

it('checks a schema without references without compiling it, and still refuses what compiling would', () => {
  const before = resultSchemaFootprint().compiles;
  for (let i = 0; i < 50; i++) {
    const plain = { type: 'object', properties: { [`f${i}`]: { type: 'string', pattern: `^a{${i}}$` } } };
    expect(resultSchemaProblem(plain)).toBeNull();
  }
  expect(resultSchemaFootprint().compiles).toBe(before);
  expect(() => parseInput(schema, input({ type: 'object', properties: { a: { pattern: '(' } } }))).toThrow(
    /^resultSchema: is not a valid JSON Schema: pattern "\(" is not a valid regular expression/,
  );
  expect(resultSchemaProblem({ patternProperties: { '[': { type: 'string' } } })).toMatch(/regular expression/);
  expect(resultSchemaProblem({ properties: { a: { $ref: '#/nowhere' } } })).toMatch(/nowhere/);
  expect(resultSchemaProblem({ type: 'object', required: 'a' })).toMatch(/required/);
});

it('accepts the dialects the worker validates with: draft-07, 2019-09, 2020-12, and older ones as draft-07', () => {
  const body = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
  for (const dialect of [
    'http://json-schema.org/draft-07/schema#',
    'https://json-schema.org/draft/2019-09/schema',
    'https://json-schema.org/draft/2020-12/schema',
    'http://json-schema.org/draft-04/schema#',
  ])
    expect([dialect, resultSchemaProblem({ $schema: dialect, ...body })]).toEqual([dialect, null]);
  // 2020-12's own keywords are checked by its meta-schema: prefixItems must be an array.
  expect(
    resultSchemaProblem({ $schema: 'https://json-schema.org/draft/2020-12/schema', prefixItems: { type: 'string' } }),
  ).toMatch(/prefixItems/);
});
