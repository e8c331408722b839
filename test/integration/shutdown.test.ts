// SIGTERM stops a running Offload in order and exits 0: sockets closed (subscribers told "going away"), jobs
// released, connections ended. Runs the built CLI as a real process.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { spawnOffload } from '../helpers/process';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('shutdown');
});
afterAll(async () => database?.drop());

it.each(['serve', 'api', 'worker'] as const)('%s exits 0 on SIGTERM', async (role) => {
  const proc = spawnOffload(role, { DATABASE_URL: database.url, PORT: '0' });
  await proc.waitFor(/"msg":"offload started"/);
  const started = Date.now();
  const code = await proc.kill('SIGTERM');
  expect({ code, output: code === 0 ? [] : proc.output.slice(-15) }).toEqual({ code: 0, output: [] });
  expect(Date.now() - started).toBeLessThan(15_000);
});

it('closes live subscriptions with 1001 and still exits 0', async () => {
  const proc = spawnOffload('serve', { DATABASE_URL: database.url, PORT: '0' });
  const line = await proc.waitFor(/is up: GraphQL http:\/\/127\.0\.0\.1:\d+/);
  const port = /:(\d+)\/graphql/.exec(line)![1];
  const { apiKey } = createKey(database.url);
  const closed = new Promise<number>((resolve) => {
    const client = createClient({
      url: `ws://127.0.0.1:${port}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { 'x-api-key': apiKey },
      retryAttempts: 0,
      lazy: false,
      // The server going away is what this test waits for: graphql-ws would print the close event as an error.
      onNonLazyError: () => {},
      on: { closed: (event) => resolve((event as { code: number }).code) },
    });
    client.subscribe(
      { query: 'subscription { caseUpdates { type } }' },
      { next: () => {}, error: () => {}, complete: () => {} },
    );
  });
  await new Promise<void>((resolve) => setTimeout(resolve, 300));
  expect(await proc.kill('SIGTERM')).toBe(0);
  expect(await closed).toBe(1001);
});

/** `offload accounts create` prints one JSON line with the new account's key. */
function createKey(url: string): { apiKey: string } {
  const out = spawnSync(process.execPath, [CLI, 'accounts', 'create', '--name', 'shutdown', '--plan', 'SANDBOX'], {
    env: { ...process.env, NODE_OPTIONS: '', DATABASE_URL: url, LOG_LEVEL: 'silent' },
    encoding: 'utf8',
  });
  const line = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  expect(Object.keys(line).sort()).toEqual([
    'accountId',
    'apiKey',
    'monthlyLimit',
    'plan',
    'unlimited',
    'webhookSecret',
  ]);
  return line as { apiKey: string };
}
