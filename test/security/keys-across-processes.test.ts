// Issue 20, items 3 and 8, across two API processes on one database: a revoked key's open graphql-ws sockets are
// closed (4403) in every process within seconds, and one key has one request budget whichever face (GraphQL, REST,
// graphql-ws) and whichever process it uses.
import WebSocket from 'ws';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { waitFor } from '../helpers/wait';
import { createAccount, gql, report, revokeKey, spawnServer, type SpawnedOffload } from './attack.helpers';

const PER_MINUTE = 20;
let database: TestDatabase;
let a: SpawnedOffload;
let b: SpawnedOffload;

beforeAll(async () => {
  database = await createTestDatabase('sec-keys');
  // One serve (it applies migrations and runs the worker), then a second API process beside it.
  const env = { RATE_LIMIT_PER_MINUTE: String(PER_MINUTE), AUTH_CACHE_SECONDS: '60' };
  a = await spawnServer('sec-keys', env, { database });
  b = await spawnServer('sec-keys', env, { database, role: 'api' });
}, 120_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await database?.drop();
});

interface OpenSocket {
  socket: WebSocket;
  closed: Promise<number>;
  messages: unknown[];
}

/** A graphql-ws socket authenticated with `apiKey` and subscribed to the account's updates. */
async function subscribed(server: SpawnedOffload, apiKey: string): Promise<OpenSocket> {
  const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  const messages: unknown[] = [];
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  const acked = new Promise<void>((resolve, reject) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string };
      messages.push(message);
      if (message.type === 'connection_ack') resolve();
    });
    void closed.then((code) => reject(new Error(`closed ${code} before ack`)));
  });
  await new Promise<void>((resolve) => socket.once('open', () => resolve()));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { 'x-api-key': apiKey } }));
  await acked;
  socket.send(
    JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { caseUpdates { eventId } }' } }),
  );
  return { socket, closed, messages };
}

describe('a revoked key (item 3)', () => {
  it("closes the key's open sockets with 4403 in every API process within seconds, and refuses it at once", async () => {
    const { apiKey } = await createAccount(database, 'revoked');
    const [onA, onB] = await Promise.all([subscribed(a, apiKey), subscribed(b, apiKey)]);
    // Both processes have the key in their authentication cache (AUTH_CACHE_SECONDS=60).
    expect((await gql(a.url, apiKey, '{ usage { plan } }')).status).toBe(200);
    expect((await gql(b.url, apiKey, '{ usage { plan } }')).status).toBe(200);

    // A third process, as an operator would; its own start-up (seconds on a loaded machine) is not the server's delay.
    const revoked = revokeKey(database, apiKey).then(() => Date.now());
    const codes = await Promise.all([onA.closed, onB.closed]);
    const closedAt = Date.now();
    const elapsed = closedAt - (await revoked);
    report(`item 3: both sockets closed ${elapsed} ms after the revoking command returned`);
    expect(codes).toEqual([4403, 4403]);
    expect(elapsed).toBeLessThan(5_000);
    // The cache was dropped too: HTTP refuses the key in both processes without waiting for it to expire.
    expect((await gql(a.url, apiKey, '{ usage { plan } }')).status).toBe(403);
    expect((await gql(b.url, apiKey, '{ usage { plan } }')).status).toBe(403);
  });

  it('leaves the sockets of other keys open', async () => {
    const { apiKey } = await createAccount(database, 'kept');
    const { apiKey: doomed } = await createAccount(database, 'doomed');
    const kept = await subscribed(a, apiKey);
    const gone = await subscribed(a, doomed);
    await revokeKey(database, doomed);
    expect(await gone.closed).toBe(4403);
    expect(kept.socket.readyState).toBe(WebSocket.OPEN);
    kept.socket.close();
  });
});

describe('one rate limit per key across faces and processes (item 8)', () => {
  const rest = (server: SpawnedOffload, apiKey: string) =>
    fetch(`${server.url}/cases/00000000-0000-4000-8000-000000000000`, { headers: { 'x-api-key': apiKey } });
  const flushed = () => new Promise((r) => setTimeout(r, 600));

  it('counts GraphQL on one process and REST on the other against one budget, then refuses every face', async () => {
    const { apiKey } = await createAccount(database, 'limited');
    for (let i = 0; i < 10; i++) expect((await gql(a.url, apiKey, '{ usage { plan } }')).status).toBe(200);
    await flushed();
    // The other process learns the key's count with its first flush.
    expect((await rest(b, apiKey)).status).toBe(404);
    await flushed();
    let allowed = 0;
    for (let i = 0; i < PER_MINUTE; i++) {
      const res = await rest(b, apiKey);
      if (res.status === 429) break;
      expect(res.status).toBe(404);
      allowed += 1;
    }
    expect(allowed).toBe(PER_MINUTE - 11);
    const refusedRest = await rest(b, apiKey);
    expect(refusedRest.status).toBe(429);
    expect(Number(refusedRest.headers.get('retry-after'))).toBeGreaterThan(0);
    await flushed();
    const refusedGraphql = await gql(a.url, apiKey, '{ usage { plan } }');
    expect(refusedGraphql.status).toBe(429);
    expect(refusedGraphql.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    // And on a graphql-ws socket: the subscription is refused with the same code.
    const ws = await subscribed(a, apiKey);
    const refusal = await waitFor('a refusal on the socket', () =>
      ws.messages.find((m) => (m as { type: string }).type === 'error'),
    );
    expect(JSON.stringify(refusal)).toContain('RATE_LIMITED');
    ws.socket.close();
  });

  it('limits REST POST /cases, which had no limit at all', async () => {
    const { apiKey } = await createAccount(database, 'rest-only');
    const statuses: number[] = [];
    for (let i = 0; i < PER_MINUTE + 2; i++) {
      const res = await fetch(`${b.url}/cases`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
        body: '{}',
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, PER_MINUTE).every((s) => s === 400)).toBe(true);
    expect(statuses.slice(PER_MINUTE)).toEqual([429, 429]);
  });
});
