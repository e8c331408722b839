// Hostile GraphQL over HTTP: oversized, deep, aliased, costly, batched, cross-site and too-frequent requests are
// refused with a clear error and no operation runs; internal errors and the schema stay hidden.
import { buildSchema, getNamedType, isCompositeType, isListType, isNonNullType, parse, validate } from 'graphql';
import type { GraphQLOutputType } from 'graphql';
import { buildOffloadSchema } from '../../src/graphql/graphql.schema';
import { LOADED_LISTS, QUERY_LIMITS } from '../../src/graphql/security/operation.limits';
import { depthLimitRule } from '../../src/graphql/security/validation.rules';
import { RateLimiter } from '../../src/graphql/security/rate-limit.guard';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';

let dev: TestApp;
let prod: TestApp;

beforeAll(async () => {
  [dev, prod] = await Promise.all([
    startTestApp('gql-limits-dev'),
    startTestApp('gql-limits-prod', { env: { NODE_ENV: 'production', RATE_LIMIT_PER_MINUTE: '5' } }),
  ]);
});
afterAll(async () => Promise.all([dev?.stop(), prod?.stop()]));

interface Raw {
  status: number;
  headers: Headers;
  text: string;
  body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  };
}

async function post(
  app: TestApp,
  body: string,
  headers: Record<string, string> = {},
  apiKey = app.apiKey,
): Promise<Raw> {
  const res = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey, ...headers },
    body,
  });
  const text = await res.text();
  let parsed: Raw['body'] = {};
  try {
    parsed = JSON.parse(text) as Raw['body'];
  } catch {
    // Asserted on below: every refusal must be JSON.
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

const gql = (app: TestApp, query: string, variables?: Record<string, unknown>, apiKey?: string) =>
  post(app, JSON.stringify({ query, variables }), {}, apiKey);

const firstError = (raw: Raw) => raw.body.errors?.[0];

describe('document shape', () => {
  it('refuses more aliases than the cap with GRAPHQL_VALIDATION_FAILED, and accepts the cap itself', async () => {
    const aliases = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: usage { plan }`).join(' ');
    const atCap = await gql(dev, `{ ${aliases(QUERY_LIMITS.maxAliases)} }`);
    expect(atCap.body.errors).toBeUndefined();
    const over = await gql(dev, `{ ${aliases(QUERY_LIMITS.maxAliases + 1)} }`);
    expect(over.status).toBe(400);
    expect(firstError(over)?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'aliases' });
    expect(firstError(over)?.message).toContain(`maximum is ${QUERY_LIMITS.maxAliases}`);
  });

  it('stops parsing a document with more tokens than the cap', async () => {
    const fields = Array.from({ length: QUERY_LIMITS.maxTokens }, () => 'plan').join(' ');
    const result = await gql(dev, `{ usage { ${fields} } }`);
    expect(result.status).toBe(400);
    expect(firstError(result)?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(firstError(result)?.message).toMatch(/\d+ tokens. Parsing aborted/);
  });

  it('refuses a document deeper than the cap (the rule, on a schema with a cycle)', () => {
    const schema = buildSchema('type Node { child: Node, name: String } type Query { root: Node }');
    const nested = (depth: number) => `{ root ${'{ child '.repeat(depth - 2)}{ name }${' }'.repeat(depth - 2)} }`;
    const check = (depth: number) => validate(schema, parse(nested(depth)), [depthLimitRule(10)]);
    expect(check(10)).toEqual([]);
    expect(check(11).map((e) => e.message)).toEqual(['Operation is 11 levels deep; the maximum is 10']);
    // Fragments that spread each other many times over are measured once each, not once per path.
    const fragments = Array.from(
      { length: 60 },
      (_, i) => `fragment F${i} on Node { child { ...F${i + 1} ...F${i + 1} } }`,
    );
    const doc = parse(`{ root { ...F0 } } ${fragments.join(' ')} fragment F60 on Node { name }`);
    const errors = validate(schema, doc, [depthLimitRule(10)]);
    expect(errors.map((e) => e.message)).toEqual(['Operation is 62 levels deep; the maximum is 10']);
  });

  it('applies the depth rule to requests too', async () => {
    const result = await gql(dev, `{ usage { plan ${'{ x '.repeat(12)}${'}'.repeat(12)} } }`);
    const depth = result.body.errors?.find((e) => e.extensions?.limit === 'depth');
    expect(depth?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('cost', () => {
  const costly = `query Costly($n: Int) { cases(first: $n) { edges { node { id messages { id text } timeline { id type } } } } }`;

  it('refuses an operation whose estimated cost is over the cap, using the variables, before running it', async () => {
    const refused = await gql(dev, costly, { n: 100 });
    expect(refused.status).toBe(400);
    expect(firstError(refused)?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost' });
    expect(firstError(refused)?.extensions?.actual).toBeGreaterThan(QUERY_LIMITS.maxCost);
    expect(refused.body.data).toBeUndefined();
    const accepted = await gql(dev, costly, { n: 10 });
    expect(accepted.body.errors).toBeUndefined();
  });

  it('lets a page of 100 cases with every scalar field through', async () => {
    const fields =
      'id status clientReferenceId goal { objective knowledge } counterparty { address name } metadata result';
    const result = await gql(
      dev,
      `{ cases(first: 100) { edges { cursor node { ${fields} } } pageInfo { hasNextPage } } }`,
    );
    expect(result.body.errors).toBeUndefined();
  });

  it('has a cost for every list of objects in the schema', async () => {
    const schema = await buildOffloadSchema();
    const unwrap = (type: GraphQLOutputType): GraphQLOutputType => (isNonNullType(type) ? type.ofType : type);
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || !('getFields' in type) || !isCompositeType(type)) continue;
      for (const field of Object.values(type.getFields())) {
        const key = `${type.name}.${field.name}`;
        const isObjectList = isListType(unwrap(field.type)) && isCompositeType(getNamedType(field.type));
        if (isObjectList && !LOADED_LISTS[key] && key !== 'CaseConnection.edges') missing.push(key);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('transport', () => {
  it('refuses batched requests', async () => {
    const result = await post(dev, JSON.stringify([{ query: '{ usage { plan } }' }, { query: '{ usage { plan } }' }]));
    expect(result.status).toBe(400);
    expect(result.text).toMatch(/batching/i);
  });

  it('refuses a simple (cross-site) POST and runs nothing', async () => {
    const other = await dev.newAccount();
    const mutation = `mutation { createCase(input: { channel: EMAIL, goal: { objective: "x" },
      counterparty: { address: "a@example.com", name: "A" }, senderPersona: { name: "S" } }) { id } }`;
    const result = await post(dev, JSON.stringify({ query: mutation }), { 'content-type': 'text/plain' }, other.apiKey);
    expect(result.status).toBe(400);
    expect(result.text).toMatch(/CSRF/);
    const listed = await gql(dev, '{ cases { edges { node { id } } } }', undefined, other.apiKey);
    expect(listed.body.data).toEqual({ cases: { edges: [] } });
  });

  it('refuses a body over the cap with 413 and a JSON error', async () => {
    const result = await post(
      dev,
      JSON.stringify({ query: '{ usage { plan } }', variables: { pad: 'x'.repeat(1_100_000) } }),
    );
    expect(result.status).toBe(413);
    expect(firstError(result)?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(firstError(result)?.message).toContain('1mb');
  });

  it('answers a body that is not JSON with 400 and a JSON error, without a stack', async () => {
    const result = await post(dev, '{"query": "{ usage { plan } }"');
    expect(result.status).toBe(400);
    expect(firstError(result)?.extensions?.code).toBe('BAD_REQUEST');
    expect(result.text).not.toMatch(/ at |node_modules/);
  });
});

describe('errors', () => {
  it('masks an internal error: INTERNAL_SERVER_ERROR, no message, no stack, no SQL', async () => {
    const cases = dev.offload.services.cases;
    const original = cases.usage.bind(cases);
    cases.usage = () => Promise.reject(new Error('relation "secret_table" does not exist: SELECT * FROM secret_table'));
    try {
      const result = await gql(dev, '{ usage { plan } }');
      expect(firstError(result)).toEqual({
        message: 'Internal server error',
        path: ['usage'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(result.text).not.toMatch(/secret_table|SELECT|stacktrace/);
    } finally {
      cases.usage = original;
    }
  });
});

describe('production', () => {
  it('refuses introspection in production and allows it in development', async () => {
    const query = '{ __schema { queryType { name } } }';
    expect((await gql(dev, query)).body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const refused = await gql(prod, query, undefined, (await prod.newAccount()).apiKey);
    expect(firstError(refused)?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(firstError(refused)?.message).toMatch(/introspection/i);
  });

  it('gives no "Did you mean" suggestions in production', async () => {
    const query = '{ usage { plann } }';
    expect(firstError(await gql(dev, query))?.message).toMatch(/Did you mean "plan"\?/);
    const refused = await gql(prod, query, undefined, (await prod.newAccount()).apiKey);
    expect(firstError(refused)?.message).toBe('Cannot query field "plann" on type "Usage".');
  });
});

describe('rate limit', () => {
  it('answers RATE_LIMITED with 429 and Retry-After once a key has used its budget, per key', async () => {
    const limited = await prod.newAccount();
    const bystander = await prod.newAccount();
    for (let i = 0; i < 5; i++)
      expect((await gql(prod, '{ usage { plan } }', undefined, limited.apiKey)).status).toBe(200);
    const create = 'mutation Create($input: CreateCaseInput!) { createCase(input: $input) { id } }';
    const refused = await gql(prod, create, { input: caseInput() }, limited.apiKey);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(firstError(refused)?.extensions?.code).toBe('RATE_LIMITED');
    // The refused mutation did not run, and another key is unaffected.
    const count = await prod.offload.db.query(`SELECT count(*)::int AS n FROM cases WHERE account_id = $1`, [
      limited.accountId,
    ]);
    expect(count[0].n).toBe(0);
    expect((await gql(prod, '{ usage { plan } }', undefined, bystander.apiKey)).status).toBe(200);
  });

  it('refills the bucket over time and is off at 0', () => {
    let now = 0;
    const limiter = new RateLimiter(60, () => now);
    for (let i = 0; i < 60; i++) expect(limiter.take('k').allowed).toBe(true);
    expect(limiter.take('k')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 1_000;
    expect(limiter.take('k').allowed).toBe(true);
    expect(limiter.take('k').allowed).toBe(false);
    const off = new RateLimiter(0);
    for (let i = 0; i < 1_000; i++) expect(off.take('k').allowed).toBe(true);
  });
});
