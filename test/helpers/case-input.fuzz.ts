// fast-check generators for createCase inputs (valid, hostile, near-valid, arbitrary) and an independent check of
// what an accepted case must look like, for test/integration/fuzz.test.ts.
import { isDeepStrictEqual } from 'node:util';
import Ajv from 'ajv';
import fc from 'fast-check';
import { caseInput } from './offload';

// ---- generators -------------------------------------------------------------------------------------------------
// Every field has a valid and a hostile generator. Inputs are either valid everywhere but one field (so each rule
// is hit directly, and a hostile value that is accepted is checked as stored) or mixed (each field usually valid).
interface FieldGen {
  valid: fc.Arbitrary<unknown>;
  hostile: fc.Arbitrary<unknown>;
  required?: boolean;
}

export const hostileText = (max: number) =>
  fc.oneof(
    fc.constantFrom('', '   ', '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', 'x'.repeat(max + 1), ` ${'x'.repeat(max)} `),
    fc.string({ unit: 'binary', maxLength: 30 }),
  );
const validText = (max: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 40 }).filter((v) => v.trim().length > 0) },
    {
      weight: 2,
      arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((v) => v.trim().length > 0),
    },
    { weight: 1, arbitrary: fc.constantFrom('\u202e RTL', '😀 emoji', 'x'.repeat(max), ` ${'y'.repeat(max)}`) },
  );
export const anyText = (max: number) => fc.oneof(validText(max), hostileText(max));
const text = (max: number, required = false): FieldGen => ({
  valid: validText(max),
  hostile: hostileText(max),
  required,
});

const validJson = fc.jsonValue({ maxDepth: 3 });
const validObject = fc.dictionary(fc.string({ maxLength: 10 }), validJson, { maxKeys: 5 });
const hostileJson = fc.oneof(
  fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }),
  fc.constantFrom({ blob: 'x'.repeat(70_000) }, { 'k\u0000': 'v' }, { v: '\ud800' }, { deep: [[[[[[[[[[[]]]]]]]]]]] }),
);
const int = (min: number, max: number): FieldGen => ({
  valid: fc.integer({ min, max }),
  hostile: fc.constantFrom(min - 1, max + 1, -1, 2 ** 31 - 1, -(2 ** 31)),
});

const FIELDS: Record<string, FieldGen> = {
  'goal.objective': text(4_000, true),
  'goal.knowledge': {
    valid: fc.oneof(validText(20_000), validObject),
    hostile: fc.oneof(hostileText(20_000), hostileJson),
  },
  'counterparty.address': {
    required: true,
    valid: fc.constantFrom('vendor@example.com', 'a.b+c@sub.example.org', 'X_Y@example.co'),
    // fast-check's addresses are RFC 5322-valid but mostly outside what zod's email accepts: hostile here.
    hostile: fc.oneof(
      fc.emailAddress(),
      fc.constantFrom('not-an-email', 'a@b', '@example.com', 'a@example.com\u0000', `${'a'.repeat(320)}@example.com`),
      fc.string({ maxLength: 30 }),
    ),
  },
  'counterparty.name': text(200, true),
  'counterparty.company': text(200),
  'counterparty.timezone': {
    valid: fc.constantFrom('Europe/Paris', 'UTC', 'America/New_York'),
    hostile: fc.constantFrom('Mars/Olympus', '', 'x'.repeat(70), 'UTC\u0000'),
  },
  'counterparty.customData': {
    valid: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 4 }),
    hostile: hostileJson,
  },
  'senderPersona.name': text(200, true),
  'senderPersona.role': text(200),
  'senderPersona.company': text(200),
  'senderPersona.tone': text(200),
  clientReferenceId: text(255),
  constraints: { valid: validJson, hostile: hostileJson },
  resultSchema: {
    valid: fc.constantFrom(
      { type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] },
      { type: 'object', additionalProperties: { type: 'string' } },
    ),
    hostile: fc.oneof(
      fc.constantFrom({ type: 'not-a-type' }, { type: 'object', properties: 5 }, { required: 'x' }),
      hostileJson,
    ),
  },
  metadata: { valid: validObject, hostile: hostileJson },
  clientWebhookUrl: {
    valid: fc.oneof(fc.constant('https://hooks.example.com/offload'), fc.webUrl({ validSchemes: ['http', 'https'] })),
    hostile: fc.constantFrom(
      'http://127.0.0.1/hook',
      'http://[::1]/hook',
      'http://10.0.0.1/x',
      'http://169.254.169.254/latest',
      'ftp://example.com/x',
      'javascript:alert(1)',
      'https://example.com/\u0000',
      `https://example.com/${'a'.repeat(2_100)}`,
    ),
  },
  maxAttempts: int(0, 20),
  followUpDelayHours: int(1, 8_760),
};

/** The input with `values` (by dotted path) over caseInput()'s defaults. */
function build(values: Record<string, unknown>): Record<string, unknown> {
  const input = JSON.parse(JSON.stringify(caseInput())) as Record<string, Record<string, unknown>>;
  for (const [path, value] of Object.entries(values)) {
    const [head, tail] = path.split('.') as [string, string | undefined];
    if (tail === undefined) (input as Record<string, unknown>)[head] = value;
    else input[head] = { ...input[head], [tail]: value };
  }
  return input;
}

const fieldsWith = (pick: (gen: FieldGen) => fc.Arbitrary<unknown>) =>
  fc.record(Object.fromEntries(Object.entries(FIELDS).map(([path, gen]) => [path, pick(gen)])), {
    requiredKeys: Object.entries(FIELDS)
      .filter(([, gen]) => gen.required)
      .map(([path]) => path),
  });

const validCase = fieldsWith((gen) => gen.valid);
const singleFault = fc
  .tuple(validCase, fc.constantFrom(...Object.keys(FIELDS)))
  .chain(([values, path]) => FIELDS[path]!.hostile.map((bad) => build({ ...values, [path]: bad })));
const mixed = fieldsWith((gen) =>
  fc.oneof({ weight: 9, arbitrary: gen.valid }, { weight: 1, arbitrary: gen.hostile }),
).map(build);
export const nearValid = fc.oneof(singleFault, mixed);

// Mostly fresh keys: a key reused with another input is refused (IDEMPOTENCY_KEY_REUSED), which is right but dull.
export const idempotencyKey = fc.oneof(
  { weight: 9, arbitrary: fc.option(fc.uuid()) },
  { weight: 1, arbitrary: hostileText(255) },
);

export const arbitraryInput = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.dictionary(
    fc.constantFrom('channel', 'goal', 'counterparty', 'senderPersona', 'maxAttempts', 'x'),
    fc.anything({ maxDepth: 2 }),
  ),
);

// ---- what an accepted case must look like (written apart from the zod schema on purpose) -------------------------
const ajv = new Ajv({ strict: false });
const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8');
// No NUL, no unpaired surrogate.
const clean = (s: string) => !s.includes('\u0000') && !/\p{Cs}/u.test(s);
const okText = (v: unknown, max: number, optional = false) =>
  (optional && v == null) || (typeof v === 'string' && v.trim() === v && v.length >= 1 && v.length <= max && clean(v));
const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};
const PRIVATE_HOST = /^https?:\/\/(localhost|127\.|10\.|192\.168\.|169\.254\.|\[::1?\]|\[f[cd])/i;

export type Stored = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a case as JSON

export function violations(c: Stored): string[] {
  const bad: string[] = [];
  const check = (ok: boolean, what: string) => ok || bad.push(what);
  check(c.channel === 'EMAIL', 'channel');
  check(okText(c.goal.objective, 4_000), 'goal.objective');
  check(c.goal.knowledge == null || bytes(c.goal.knowledge) <= 64 * 1024, 'goal.knowledge');
  check(/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(c.counterparty.address) && c.counterparty.address.length <= 320, 'address');
  check(okText(c.counterparty.name, 200), 'counterparty.name');
  check(okText(c.counterparty.company, 200, true), 'counterparty.company');
  check(c.counterparty.timezone == null || isTimeZone(c.counterparty.timezone), 'counterparty.timezone');
  for (const key of ['name', 'role', 'company', 'tone'])
    check(okText(c.senderPersona[key], 200, key !== 'name'), `senderPersona.${key}`);
  check(okText(c.clientReferenceId, 255, true), 'clientReferenceId');
  for (const key of ['constraints', 'metadata', 'resultSchema'])
    check(c[key] == null || bytes(c[key]) <= 64 * 1024, key);
  if (c.resultSchema != null) check(ajv.validateSchema(c.resultSchema) === true, 'resultSchema');
  check(
    c.clientWebhookUrl == null || (/^https?:\/\//.test(c.clientWebhookUrl) && !PRIVATE_HOST.test(c.clientWebhookUrl)),
    'clientWebhookUrl',
  );
  check(Number.isInteger(c.maxAttempts) && c.maxAttempts >= 0 && c.maxAttempts <= 20, 'maxAttempts');
  check(
    Number.isInteger(c.followUpDelayHours) && c.followUpDelayHours >= 1 && c.followUpDelayHours <= 8_760,
    'followUpDelayHours',
  );
  check(c.status === 'CREATED' && c.attemptCount === 0, 'initial state');
  return bad;
}

const normal = (v: unknown): unknown => (v == null ? null : JSON.parse(JSON.stringify(v)));

/** The stored case keeps what was sent (after trimming): nothing was silently altered on the way in. */
export function mismatches(sent: Stored, stored: Stored): string[] {
  const bad: string[] = [];
  if (stored.goal.objective !== String(sent.goal.objective).trim()) bad.push('goal.objective altered');
  for (const key of ['constraints', 'metadata', 'resultSchema'])
    if (!isDeepStrictEqual(normal(stored[key]), normal(sent[key]))) bad.push(`${key} altered`);
  return bad;
}
