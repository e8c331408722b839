// Issue 20, items 1, 2 and 4, from the outside: a separate Offload process on loopback, attacked from this one while
// another tenant's ordinary requests are timed. Each attack must be refused cheaply (before the body is read, before
// the expensive validation rules run, by closing the socket) and the victim's median latency must stay within
// latencyBound() of the same probe without the attack.
import WebSocket from 'ws';
import {
  createAccount,
  gql,
  latencyBound,
  probeP50,
  report,
  spawnServer,
  underAttack,
  underThreadAttack,
  type SpawnedOffload,
} from './attack.helpers';

let server: SpawnedOffload;
let victim: { apiKey: string };
let attacker: { apiKey: string };
let baseline: number;

beforeAll(async () => {
  server = await spawnServer('sec-load', { LOG_LEVEL: 'info' });
  [victim, attacker] = await Promise.all([
    createAccount(server.database, 'victim'),
    createAccount(server.database, 'attacker'),
  ]);
  await probeP50(server.url, victim.apiKey, 10); // warm-up
  baseline = await probeP50(server.url, victim.apiKey);
}, 90_000);
afterAll(async () => server?.stop());

const wsUrl = () => `${server.url.replace(/^http/, 'ws')}/graphql`;

describe('unauthenticated large bodies (item 1)', () => {
  const body = Buffer.alloc(26 * 1024 * 1024, 'a');
  /**
   * Posts 26 MB without a key to `path`; the refusal is a 401, or the connection closed under the upload (the server
   * answers and closes without reading on; a client still sending may see the close before the answer).
   */
  const sendBig = (path = '/webhooks/local') =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
      async (res) => {
        await res.arrayBuffer().catch(() => undefined);
        return res.status;
      },
      (error: unknown) => {
        const code = (error as { cause?: { code?: string } }).cause?.code;
        if (code && /UND_ERR_SOCKET|ECONNRESET|EPIPE/.test(code)) return 'closed';
        throw error;
      },
    );

  it.each(['/webhooks/local', '/graphql', '/cases'])(
    'refuses 26 MB without a key on %s before reading it, and the server does not grow',
    async (path) => {
      const rssBefore = server.rssMb();
      const started = performance.now();
      for (let i = 0; i < 3; i++) expect([401, 'closed']).toContain(await sendBig(path));
      // A small body gets the answer itself.
      const small = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(small.status).toBe(401);
      expect(server.rssMb() - rssBefore).toBeLessThan(100);
      report(`item 1: three refused 26 MB bodies on ${path} in ${(performance.now() - started).toFixed(0)} ms`);
    },
  );

  it("keeps another tenant's p50 within bound while two senders post 26 MB bodies", async () => {
    const rssBefore = server.rssMb();
    // Two senders in a worker thread, each posting 26 MB bodies without a key, one after another.
    const { p50, rounds } = await underThreadAttack(
      server.url,
      victim.apiKey,
      `const body = Buffer.alloc(26 * 1024 * 1024, 'a');
       const send = async () => {
         while (!stop()) {
           await fetch(url + '/webhooks/local', { method: 'POST', headers: { 'content-type': 'application/json' }, body })
             .then((r) => r.arrayBuffer()).catch(() => undefined);
           round();
         }
       };
       await Promise.all([send(), send()]);`,
    );
    expect(rounds).toBeGreaterThan(2);
    report(`item 1: baseline p50 ${baseline.toFixed(1)} ms, under attack ${p50.toFixed(1)} ms (${rounds} bodies)`);
    expect(p50).toBeLessThanOrEqual(latencyBound(baseline));
    expect(server.rssMb() - rssBefore).toBeLessThan(150);
  });
});

describe('graphql-ws frames before connection_init (item 2)', () => {
  /** Sends pings as fast as the socket takes them; resolves with the pongs received and the close code. */
  const pingFlood = (max = 100_000) =>
    new Promise<{ pongs: number; code: number }>((resolve, reject) => {
      const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
      let pongs = 0;
      socket.on('message', (data) => {
        if (String(data).includes('"pong"')) pongs += 1;
      });
      socket.once('close', (code) => resolve({ pongs, code }));
      socket.once('error', reject);
      socket.once('open', () => {
        let sent = 0;
        const burst = () => {
          for (let i = 0; i < 500 && sent < max && socket.readyState === WebSocket.OPEN; i++, sent++)
            socket.send('{"type":"ping"}');
          if (sent < max && socket.readyState === WebSocket.OPEN) setImmediate(burst);
        };
        burst();
      });
    });

  it('closes a socket that floods pings with 4429 after at most its burst of pongs', async () => {
    const { pongs, code } = await pingFlood();
    expect(code).toBe(4429);
    expect(pongs).toBeLessThanOrEqual(60);
  });

  it('closes a socket that never sends connection_init after the 3 s default', async () => {
    const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
    const started = Date.now();
    const code = await new Promise<number>((resolve) => socket.once('close', (c) => resolve(c)));
    expect(code).toBe(4408);
    expect(Date.now() - started).toBeGreaterThan(2_500);
    expect(Date.now() - started).toBeLessThan(6_000);
  });

  it("keeps another tenant's p50 within bound while a client floods pings on fresh sockets", async () => {
    const { p50, rounds } = await underAttack(server.url, victim.apiKey, 2, () => pingFlood(5_000));
    report(`item 2: baseline p50 ${baseline.toFixed(1)} ms, under attack ${p50.toFixed(1)} ms (${rounds} sockets)`);
    expect(rounds).toBeGreaterThan(2);
    expect(p50).toBeLessThanOrEqual(latencyBound(baseline));
  });
});

describe('quadratic validation (item 4)', () => {
  const repeated = `{ ${Array.from({ length: 1200 }, () => 'usage { plan }').join(' ')} }`;

  it('refuses 1,200 repeats of one field before validation, naming the limit', async () => {
    const started = performance.now();
    const { status, body } = await gql(server.url, attacker.apiKey, repeated);
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'selections' });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("keeps another tenant's p50 within bound under four such requests a second", async () => {
    const { p50, rounds } = await underAttack(server.url, victim.apiKey, 1, async () => {
      await Promise.all(Array.from({ length: 4 }, () => gql(server.url, attacker.apiKey, repeated)));
      await new Promise((r) => setTimeout(r, 1000));
    });
    report(
      `item 4: baseline p50 ${baseline.toFixed(1)} ms, under attack ${p50.toFixed(1)} ms (${rounds * 4} documents)`,
    );
    expect(p50).toBeLessThanOrEqual(latencyBound(baseline));
  });

  it('logged nothing at error level through all of the above', () => {
    expect(server.errorLines()).toEqual([]);
  });
});
