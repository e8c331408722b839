// Hostile graphql-ws clients: silent sockets, huge frames, too many subscriptions, and operations that HTTP would
// refuse are refused on the socket too, with the same codes.
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { CreateCaseDocument } from '../../schema/generated/graphql';
import { QUERY_LIMITS } from '../../src/graphql/security/operation.limits';
import type { GraphQLClient } from '../helpers/graphql-client';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';
import { waitFor } from '../helpers/wait';

const PER_CONNECTION = 3;
const PER_ACCOUNT = 5;
const PER_MINUTE = 30;

let app: TestApp;
const clients: Client[] = [];

beforeAll(async () => {
  app = await startTestApp('ws-limits', {
    env: {
      WS_CONNECTION_INIT_TIMEOUT_MS: '300',
      WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: String(PER_CONNECTION),
      WS_MAX_SUBSCRIPTIONS_PER_ACCOUNT: String(PER_ACCOUNT),
      RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
    },
  });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});
afterAll(async () => app?.stop());

const wsUrl = () => `${app.url.replace(/^http/, 'ws')}/graphql`;

function connect(client: GraphQLClient): Client {
  const ws = client.ws();
  clients.push(ws);
  return ws;
}

interface Outcome {
  events: unknown[];
  errors: Promise<Array<{ message: string; extensions?: Record<string, unknown> }>>;
  stop: () => void;
}

/** Subscribes; `errors` resolves if the server refuses the operation (or it ends with errors). */
function subscribe(ws: Client, query: string, variables: Record<string, unknown> = {}): Outcome {
  const events: unknown[] = [];
  let stop = () => {};
  const errors = new Promise<Array<{ message: string; extensions?: Record<string, unknown> }>>((resolve) => {
    stop = ws.subscribe(
      { query, variables },
      {
        next: (value) => {
          if (value.errors) resolve(value.errors as never);
          else events.push(value.data);
        },
        error: (error) => resolve(Array.isArray(error) ? error : [{ message: String(error) }]),
        complete: () => {},
      },
    );
  });
  return { events, errors, stop: () => stop() };
}

const UPDATES = 'subscription { caseUpdates { eventId case { id } } }';

/** Resolves with the close code of a raw socket. */
const closed = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));

const opened = (socket: WebSocket) => new Promise<void>((resolve) => socket.once('open', () => resolve()));

describe('raw socket', () => {
  it('closes a connection that never sends connection_init with 4408', async () => {
    const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
    const started = Date.now();
    expect(await closed(socket)).toBe(4408);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('closes a connection that sends a frame over 64 KB with 1009', async () => {
    const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
    await opened(socket);
    const ack = new Promise<void>((resolve) => socket.once('message', () => resolve()));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { 'x-api-key': app.apiKey } }));
    await ack;
    // graphql-ws reports the oversized frame with console.error (ws's RangeError); expected here, so it is caught
    // and checked instead of printed.
    const errors = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const code = closed(socket);
      socket.send(
        JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `{ usage { plan } } #${'x'.repeat(70_000)}` } }),
      );
      expect(await code).toBe(1009);
      const logged = errors.mock.calls.flat().map((arg) => (arg instanceof Error ? arg.message : String(arg)));
      expect(logged.every((line) => /WebSocket|Max payload size exceeded/.test(line))).toBe(true);
    } finally {
      errors.mockRestore();
    }
  });
});

describe('subscription caps', () => {
  it('refuses one subscription more than the per-connection cap, while the others stay live', async () => {
    const account = await app.newAccount();
    const ws = connect(account.client);
    const live = Array.from({ length: PER_CONNECTION }, () => subscribe(ws, UPDATES));
    const refused = subscribe(ws, UPDATES);
    const [error] = await refused.errors;
    expect(error?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'subscriptionsPerConnection' });
    expect(error?.message).toContain(`at most ${PER_CONNECTION}`);
    await account.client.ok(CreateCaseDocument, { input: caseInput() });
    await waitFor('every live subscription to get the new case', () => live.every((s) => s.events.length > 0));
    expect(refused.events).toEqual([]);
    // Completing one makes room for another.
    live[0]!.stop();
    const again = subscribe(ws, UPDATES);
    await account.client.ok(CreateCaseDocument, { input: caseInput() });
    await waitFor('the new subscription to get a case', () => again.events.length > 0);
  });

  it('refuses one subscription more than the per-account cap across connections; other accounts are unaffected', async () => {
    const account = await app.newAccount();
    const first = connect(account.client);
    const second = connect(account.client);
    const live = [
      ...Array.from({ length: PER_CONNECTION }, () => subscribe(first, UPDATES)),
      ...Array.from({ length: PER_ACCOUNT - PER_CONNECTION }, () => subscribe(second, UPDATES)),
    ];
    await account.client.ok(CreateCaseDocument, { input: caseInput() });
    await waitFor('every live subscription to get the new case', () => live.every((s) => s.events.length > 0));
    const [error] = await subscribe(second, UPDATES).errors;
    expect(error?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'subscriptionsPerAccount' });

    const other = await app.newAccount();
    const theirs = subscribe(connect(other.client), UPDATES);
    await other.client.ok(CreateCaseDocument, { input: caseInput() });
    await waitFor("the other account's subscription to get its case", () => theirs.events.length > 0);

    // Closing a connection gives its subscriptions back to the account.
    await first.dispose();
    const third = connect(account.client);
    const after = subscribe(third, UPDATES);
    await account.client.ok(CreateCaseDocument, { input: caseInput() });
    await waitFor('a subscription after a connection closed to get a case', () => after.events.length > 0);
  });
});

describe('the HTTP limits, on the socket', () => {
  it.each([
    [
      'aliases',
      `{ ${Array.from({ length: QUERY_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: usage { plan }`).join(' ')} }`,
      'GRAPHQL_VALIDATION_FAILED',
    ],
    ['tokens', `{ usage { ${'plan '.repeat(QUERY_LIMITS.maxTokens)} } }`, 'GRAPHQL_PARSE_FAILED'],
    [
      'cost',
      '{ cases(first: 100) { edges { node { messages { id } timeline { id } } } } }',
      'GRAPHQL_VALIDATION_FAILED',
    ],
    ['unknown fields', '{ usage { plann } }', 'GRAPHQL_VALIDATION_FAILED'],
  ])('refuses what HTTP refuses: %s', async (_what, query, code) => {
    const account = await app.newAccount();
    const [error] = await subscribe(connect(account.client), query).errors;
    expect(error?.extensions?.code).toBe(code);
  });

  it('masks an internal error on the socket too', async () => {
    const account = await app.newAccount();
    const cases = app.offload.services.cases;
    const original = cases.usage.bind(cases);
    cases.usage = () => Promise.reject(new Error('SELECT * FROM secret_table'));
    try {
      const errors = await subscribe(connect(account.client), '{ usage { plan } }').errors;
      expect(errors).toEqual([
        { message: 'Internal server error', path: ['usage'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      ]);
    } finally {
      cases.usage = original;
    }
  });

  it('counts socket operations against the per-key rate limit', async () => {
    const account = await app.newAccount();
    const ws = connect(account.client);
    for (let i = 0; i < PER_MINUTE; i++) {
      const done = new Promise<unknown>((resolve, reject) =>
        ws.subscribe({ query: '{ usage { plan } }' }, { next: resolve, error: reject, complete: () => {} }),
      );
      expect(await done).toEqual({ data: { usage: { plan: 'BASE_PRO' } } });
    }
    const [error] = await subscribe(ws, '{ usage { plan } }').errors;
    expect(error?.extensions?.code).toBe('RATE_LIMITED');
  });
});
