// Issue 20, items 7 and 9, against a separate Offload process: every malformed input gets a 4xx (or BAD_USER_INPUT
// naming the field) and nothing is logged at error level; attachment links always work; browser-facing headers are
// set; production creates no account on its own; our own addresses are refused as counterparties; the introspection
// refusal speaks to the API's users.
import { createAccount, gql, spawnServer, type SpawnedOffload } from './attack.helpers';

let server: SpawnedOffload;
let key: string;

const CREATE = 'mutation($input: CreateCaseInput!) { createCase(input: $input) { id } }';
const input = (overrides: Record<string, unknown> = {}) => ({
  channel: 'EMAIL',
  goal: { objective: 'Collect a signed W-9' },
  counterparty: { address: 'vendor@example.com', name: 'Vera Vendor' },
  senderPersona: { name: 'Sam Sender' },
  followUpDelayHours: 8760,
  ...overrides,
});

/** JSON text of { a: { a: ... { a: 1 } } }, `depth` levels (JSON.stringify itself would overflow the stack here). */
const nestedJson = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const DEEP = '__deep__';
/** `value` as JSON text with the string DEEP replaced by `depth` levels of nesting. */
const withDeep = (value: unknown, depth: number) => JSON.stringify(value).replace(`"${DEEP}"`, nestedJson(depth));

beforeAll(async () => {
  server = await spawnServer('sec-malformed', { LOG_LEVEL: 'info', MAIL_DOMAIN: 'offload.test' });
  ({ apiKey: key } = await createAccount(server.database, 'tenant'));
}, 90_000);
afterAll(async () => server?.stop());

describe('malformed input answers 4xx, naming the field (item 7)', () => {
  it.each([
    ['GET', '/cases/%ff', true],
    ['GET', '/cases/%ff', false],
    ['GET', '/cases/%E0%A4%A', true],
    ['POST', '/cases/%ff/input', true],
    ['GET', '/cases/%ff/attachments/x', true],
    ['GET', '/cases/00000000-0000-4000-8000-000000000000/attachments/%ff', true],
    ['GET', '/attachments/%ff/x', false],
  ])('%s %s (key: %s) answers 400', async (method, path, withKey) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(withKey ? { 'x-api-key': key } : {}) },
      ...(method === 'POST' ? { body: '{}' } : {}),
    });
    // Without a key the refusal may be 401 (authentication comes first on keyed routes) but never a 500.
    expect(withKey ? [400] : [400, 401]).toContain(res.status);
    expect(await res.json()).toMatchObject({ ok: false });
  });

  it('refuses a status filter of 70,000 entries with BAD_USER_INPUT naming filter.status', async () => {
    const status = Array.from({ length: 70_000 }, (_, i) => (i % 2 ? 'RUNNING' : 'FAILED'));
    const { body } = await gql(
      server.url,
      key,
      'query($f: CaseFilter) { cases(filter: $f) { edges { node { id } } } }',
      { f: { status } },
    );
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(body.errors?.[0]?.message).toMatch(/filter\.status/);
  });

  const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  it.each([
    ['a uuid made of dashes', cursor(['2026-01-01T00:00:00.000Z', '------------------------------------'])],
    ['a date out of range', cursor(['+200000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])],
    ['a number for the date', cursor([1e20, '00000000-0000-4000-8000-000000000000'])],
    ['not JSON', 'bm90IGpzb24'],
  ])('refuses a forged cursor (%s) with BAD_USER_INPUT naming after', async (_name, after) => {
    const { body } = await gql(server.url, key, 'query($a: String) { cases(after: $a) { edges { node { id } } } }', {
      a: after,
    });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(body.errors?.[0]?.message).toMatch(/^after/);
  });

  it.each([2_000, 5_000])(
    'refuses JSON nested %i deep in metadata and knowledge, over GraphQL and REST',
    async (depth) => {
      for (const field of ['metadata', 'knowledge'] as const) {
        const overrides =
          field === 'metadata' ? { metadata: DEEP } : { goal: { objective: 'Collect a W-9', knowledge: DEEP } };
        const graphql = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': key },
          body: withDeep({ query: CREATE, variables: { input: input(overrides) } }, depth),
        });
        const body = (await graphql.json()) as { errors?: Array<{ message: string; extensions?: object }> };
        expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
        expect(body.errors?.[0]?.message).toMatch(field === 'metadata' ? /^metadata\b/ : /^goal\.knowledge\b/);
        const res = await fetch(`${server.url}/cases`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': key },
          body: withDeep(input(overrides), depth),
        });
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/nested/);
      }
    },
  );

  it.each([
    ['CRLF', 'text/plain\r\nX-Injected: yes'],
    ['non-ASCII', 'applicätion/pdf'],
    ['parameters only', '; charset=utf-8'],
  ])('serves an attachment whose content type holds %s through a working link', async (_name, contentType) => {
    const { body: created } = await gql(server.url, key, CREATE, { input: input() });
    const caseId = (created.data as { createCase: { id: string } }).createCase.id;
    const reply = await fetch(`${server.url}/webhooks/local`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({
        caseId,
        from: 'vendor@example.com',
        text: 'Attached.',
        attachments: [{ name: 'w9.pdf', contentType, contentBase64: Buffer.from('%PDF-1.4').toString('base64') }],
      }),
    });
    expect(reply.status).toBe(202);
    const { body } = await gql(
      server.url,
      key,
      'query($id: ID!) { case(id: $id) { attachments { type download { url } } } }',
      { id: caseId },
    );
    const [attachment] = (
      body.data as { case: { attachments: Array<{ type: string | null; download: { url: string } }> } }
    ).case.attachments;
    expect(attachment?.type === null || /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(attachment!.type)).toBe(true);
    const download = await fetch(attachment!.download.url);
    expect(download.status).toBe(200);
    expect(download.headers.get('x-injected')).toBeNull();
    expect(Buffer.from(await download.arrayBuffer()).toString()).toBe('%PDF-1.4');
  });

  it('logged nothing at error level for any of it', () => {
    expect(server.errorLines()).toEqual([]);
  });
});

describe('item 9', () => {
  it('sets CSP, X-Frame-Options and Referrer-Policy on the dashboard and the API', async () => {
    for (const path of ['/', '/dashboard/app.js', '/healthz', '/cases/x']) {
      const res = await fetch(`${server.url}${path}`);
      // The page has a policy of its own (its scripts and styles from this origin); everything else loads nothing.
      const csp = res.headers.get('content-security-policy');
      expect(csp).toMatch(path === '/' ? /script-src 'self'/ : /default-src 'none'/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('refuses our own case addresses as counterparties', async () => {
    const own = 'case-0123456789abcdef0123456789abcdef@offload.test';
    const { body } = await gql(server.url, key, CREATE, {
      input: input({ counterparty: { address: own, name: 'Us' } }),
    });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(body.errors?.[0]?.message).toMatch(/^counterparty\.address: must not be an address of this Offload server/);
  });

  it('creates no account on a first production start, and refuses introspection in words for API users', async () => {
    const prod = await spawnServer('sec-prod', { NODE_ENV: 'production', LOG_LEVEL: 'info' });
    try {
      expect(prod.proc.output.join('\n')).not.toMatch(/apiKey|ofk_/);
      expect(prod.proc.output.join('\n')).toMatch(/No account exists yet/);
      const { apiKey } = await createAccount(prod.database, 'operator-made');
      const { status, body } = await gql(prod.url, apiKey, '{ __schema { types { name } } }');
      expect(status).toBe(400);
      expect(body.errors?.[0]?.message).toMatch(/Introspection .* is disabled on this server/);
      expect(body.errors?.[0]?.message).not.toMatch(/ApolloServer|introspection: true/);
    } finally {
      await prod.stop();
    }
  }, 120_000);
});
