import { validateResult } from '../../../src/agent/result.validator';
import { makeNullable, planResultSchema, restoreResult } from '../../../src/agent/strict-schema.mapper';
import type { JsonSchema } from '../../../src/agent/strict-schema.mapper';

const obj = (properties: JsonSchema, required: string[] = Object.keys(properties)): JsonSchema => ({
  type: 'object',
  properties,
  required,
});

describe('planResultSchema: conversion to strict', () => {
  const table: Array<[string, JsonSchema, JsonSchema]> = [
    [
      'optional property becomes required and nullable; additionalProperties false',
      obj({ a: { type: 'string' }, b: { type: 'integer' } }, ['a']),
      {
        type: 'object',
        properties: { a: { type: 'string' }, b: { type: ['integer', 'null'] } },
        required: ['a', 'b'],
        additionalProperties: false,
      },
    ],
    [
      'nested objects and array items are made strict recursively',
      obj({ lines: { type: 'array', items: obj({ sku: { type: 'string' }, qty: { type: 'number' } }, ['sku']) } }),
      {
        type: 'object',
        properties: {
          lines: {
            type: 'array',
            items: {
              type: 'object',
              properties: { sku: { type: 'string' }, qty: { type: ['number', 'null'] } },
              required: ['sku', 'qty'],
              additionalProperties: false,
            },
          },
        },
        required: ['lines'],
        additionalProperties: false,
      },
    ],
    [
      'optional enum gains null in both type and enum',
      obj({ s: { type: 'string', enum: ['a', 'b'] } }, []),
      {
        type: 'object',
        properties: { s: { type: ['string', 'null'], enum: ['a', 'b', null] } },
        required: ['s'],
        additionalProperties: false,
      },
    ],
    [
      'assertion keywords are dropped but hinted in the description; title folded in',
      obj({ e: { type: 'string', title: 'Email', format: 'email', minLength: 3, default: 'x', examples: ['y'] } }),
      {
        type: 'object',
        properties: { e: { type: 'string', description: 'Email Constraints: format="email", minLength=3.' } },
        required: ['e'],
        additionalProperties: false,
      },
    ],
    [
      'oneOf becomes anyOf; optional anyOf gains a null branch',
      obj({ v: { oneOf: [{ type: 'string' }, { type: 'number' }] } }, []),
      {
        type: 'object',
        properties: { v: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'null' }] } },
        required: ['v'],
        additionalProperties: false,
      },
    ],
    [
      'local $ref is inlined',
      { ...obj({ who: { $ref: '#/$defs/person' } }), $defs: { person: obj({ name: { type: 'string' } }) } },
      {
        type: 'object',
        properties: {
          who: {
            type: 'object',
            properties: { name: { type: 'string' } },
            required: ['name'],
            additionalProperties: false,
          },
        },
        required: ['who'],
        additionalProperties: false,
      },
    ],
    [
      'additionalProperties true on an object with properties is tightened to false',
      { ...obj({ a: { type: 'string' } }), additionalProperties: true },
      { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false },
    ],
    [
      'optional const is wrapped in anyOf with null',
      obj({ k: { const: 'x' } }, []),
      {
        type: 'object',
        properties: { k: { anyOf: [{ const: 'x' }, { type: 'null' }] } },
        required: ['k'],
        additionalProperties: false,
      },
    ],
  ];

  test.each(table)('%s', (_name, input, expected) => {
    const plan = planResultSchema(input);
    expect(plan.mode).toBe('strict');
    // The result itself is null for every decision but GOAL_ACHIEVED, hence the outer nullable.
    expect(plan.modelSchema).toEqual(makeNullable(expected));
  });
});

describe('planResultSchema: fallback to a JSON string', () => {
  const table: Array<[string, JsonSchema, string]> = [
    ['free-form object', { type: 'object' }, 'free-form'],
    [
      'object with only additionalProperties',
      { type: 'object', additionalProperties: { type: 'string' } },
      'free-form',
    ],
    ['nested free-form object', obj({ meta: { type: 'object' } }), 'free-form'],
    ['patternProperties', { ...obj({ a: { type: 'string' } }), patternProperties: { '^x': {} } }, 'patternProperties'],
    ['allOf', { allOf: [obj({ a: { type: 'string' } })] }, 'allOf'],
    ['remote $ref', obj({ a: { $ref: 'https://example.test/s.json' } }), 'cannot be inlined'],
    ['recursive $ref', { ...obj({ child: { $ref: '#' } }, []) }, 'recursive'],
    ['untyped property (any value)', obj({ a: {} }), 'any value'],
    ['array without items', obj({ a: { type: 'array' } }), 'items'],
    ['tuple items', obj({ a: { type: 'array', items: [{ type: 'string' }] } }), 'items'],
    ['required name without a schema', obj({ a: { type: 'string' } }, ['a', 'b']), '"b"'],
    ['boolean subschema', obj({ a: true }), 'boolean'],
  ];

  test.each(table)('%s', (_name, input, reason) => {
    const plan = planResultSchema(input);
    expect(plan.mode).toBe('json_string');
    if (plan.mode !== 'json_string') return;
    expect(plan.reason).toContain(reason);
    expect(plan.modelSchema.type).toEqual(['string', 'null']);
  });
});

test('no resultSchema: result is {summary} or null', () => {
  const plan = planResultSchema(null);
  expect(plan.mode).toBe('summary');
  expect(plan.modelSchema).toEqual({
    anyOf: [
      {
        type: 'object',
        properties: { summary: expect.objectContaining({ type: 'string' }) },
        required: ['summary'],
        additionalProperties: false,
      },
      { type: 'null' },
    ],
  });
});

describe('restoreResult then validate against the original', () => {
  const schema: JsonSchema = {
    ...obj(
      {
        id: { type: 'string' },
        note: { type: 'string', minLength: 2 },
        lines: { type: 'array', items: obj({ sku: { type: 'string' }, qty: { type: 'integer' } }, ['sku']) },
        who: { $ref: '#/$defs/person' },
        either: { anyOf: [obj({ x: { type: 'number' } }, []), obj({ y: { type: 'string' } }, [])] },
      },
      ['id', 'lines'],
    ),
    $defs: { person: obj({ name: { type: 'string' }, email: { type: 'string', format: 'email' } }, ['name']) },
    additionalProperties: false,
  };

  const table: Array<[string, unknown, unknown, boolean]> = [
    [
      'nulls of optional properties are dropped at every level',
      { id: 'A', note: null, lines: [{ sku: 'S', qty: null }], who: { name: 'N', email: null }, either: null },
      { id: 'A', lines: [{ sku: 'S' }], who: { name: 'N' } },
      true,
    ],
    [
      'anyOf branch chosen by its keys',
      { id: 'A', note: null, lines: [], who: null, either: { y: null } },
      { id: 'A', lines: [], either: {} },
      true,
    ],
    [
      'a null for a required property stays and fails validation',
      { id: null, lines: [] },
      { id: null, lines: [] },
      false,
    ],
    [
      'dropped assertion keywords are still enforced',
      { id: 'A', note: 'x', lines: [], who: { name: 'N', email: 'not-an-email' }, either: null },
      { id: 'A', note: 'x', lines: [], who: { name: 'N', email: 'not-an-email' } },
      false,
    ],
  ];

  test.each(table)('%s', (_name, modelResult, restored, valid) => {
    const before = JSON.stringify(modelResult);
    const value = restoreResult(schema, modelResult);
    expect(value).toEqual(restored);
    expect(JSON.stringify(modelResult)).toBe(before);
    expect(validateResult(schema, value).ok).toBe(valid);
  });
});

describe('validateResult', () => {
  test('names missing required properties', () => {
    const outcome = validateResult(obj({ a: { type: 'string' }, b: { type: 'string' } }), { a: 'x' });
    expect(outcome).toEqual({ ok: false, message: expect.stringContaining("'b'"), missing: ['b'] });
  });

  test('understands draft 2020-12 schemas', () => {
    const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', ...obj({ a: { type: 'string' } }) };
    expect(validateResult(schema, { a: 'x' }).ok).toBe(true);
    expect(validateResult(schema, { a: 1 }).ok).toBe(false);
  });

  test('an unusable schema is reported, never treated as valid', () => {
    const outcome = validateResult({ type: 'no-such-type' }, {});
    expect(outcome.ok).toBe(false);
  });

  test('cases may share a $id with different bodies, and many distinct schemas keep validating', () => {
    // The worker validates one schema per case; ajv refused a second body under a known $id, and kept every
    // compiled schema for good.
    for (let i = 0; i < 600; i += 1) {
      const schema = { $id: 'https://example.com/result.json', ...obj({ [`field${i}`]: { type: 'integer' } }) };
      expect(validateResult(schema, { [`field${i}`]: i }).ok).toBe(true);
      expect(validateResult(schema, { [`field${i}`]: 'x' }).ok).toBe(false);
    }
  });
});
