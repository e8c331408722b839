// The attacker's side of the security suite: Offload runs as a separate process (the built CLI, as in production) on
// loopback, and every attack is made from this process through its public faces. Victims' latency is probed while
// an attack runs and compared with the same probe without it.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { spawnOffload, type OffloadProcess } from '../helpers/process';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');
const run = promisify(execFile);

export interface SpawnedOffload {
  url: string;
  proc: OffloadProcess;
  database: TestDatabase;
  /** Resident memory of the server process, in MB (Linux /proc). */
  rssMb(): number;
  /** Log lines at error level (pino level 50) or above printed so far. */
  errorLines(): string[];
  stop(): Promise<void>;
}

export async function spawnServer(
  label: string,
  env: Record<string, string> = {},
  options: { role?: 'serve' | 'api'; database?: TestDatabase } = {},
): Promise<SpawnedOffload> {
  const database = options.database ?? (await createTestDatabase(label));
  const role = options.role ?? 'serve';
  const proc = spawnOffload(role, {
    DATABASE_URL: database.url,
    PORT: '0',
    HOST: '127.0.0.1',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    AGENT: 'rules',
    // The machine's PostgreSQL is shared by every test file running at the time.
    DATABASE_POOL_MAX: '6',
    ...env,
  });
  // The start-up banner names the GraphQL URL ("... is up: GraphQL http://127.0.0.1:PORT/graphql ...").
  const line = await proc.waitFor(/http:\/\/127\.0\.0\.1:\d+\/graphql/, 60_000);
  const url = /(http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(line)![1]!;
  return {
    url,
    proc,
    database,
    rssMb: () => {
      const status = readFileSync(`/proc/${proc.child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
    },
    errorLines: () => proc.output.filter((l) => /"level":(5\d|6\d)/.test(l)),
    stop: async () => {
      await proc.kill('SIGTERM');
      if (!options.database) await database.drop();
    },
  };
}

async function cli(database: TestDatabase, ...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [CLI, ...args], {
    env: { ...process.env, NODE_OPTIONS: '', DATABASE_URL: database.url, LOG_LEVEL: 'silent' },
  });
  const json = stdout.split('\n').find((l) => l.startsWith('{'));
  if (!json) throw new Error(`offload ${args.join(' ')} printed no JSON: ${stdout}`);
  return JSON.parse(json) as Record<string, unknown>;
}

export async function createAccount(database: TestDatabase, name = 'tenant') {
  const created = await cli(database, 'accounts', 'create', '--name', name, '--plan', 'BASE_PRO');
  return { apiKey: String(created.apiKey), accountId: String(created.accountId) };
}

export const revokeKey = (database: TestDatabase, apiKey: string) => cli(database, 'keys', 'revoke', apiKey);

export async function gql(
  url: string,
  apiKey: string | null,
  query: string,
  variables?: Record<string, unknown>,
): Promise<{
  status: number;
  body: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as never };
  } catch {
    return { status: res.status, body: { errors: [{ message: text }] } };
  }
}

/** A victim's ordinary request: its cases, from the database. */
const PROBE = '{ cases(first: 5) { edges { node { id status } } } usage { plan createdThisMonth } }';

/** Median latency (ms) of `samples` sequential probes by `apiKey`, spaced so that they span about two seconds. */
export async function probeP50(url: string, apiKey: string, samples = 30): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const { status } = await gql(url, apiKey, PROBE);
    times.push(performance.now() - started);
    if (status !== 200) throw new Error(`probe answered ${status}`);
    await new Promise((r) => setTimeout(r, 60));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * The bound a victim's p50 must stay within while an attack runs: generous enough for a loaded 2-core machine
 * (the attacker and the server share it), tight enough that the attacks of issue 20 (x100 and more) break it.
 */
export const latencyBound = (baselineMs: number) => 5 * baselineMs + 50;

/**
 * Runs `source` (a CommonJS function body, given `url`; it should loop until `stop()` is true) in a worker thread,
 * so the attacker's own CPU work does not sit in the probe's event loop; returns the probe's p50 meanwhile and the
 * rounds the attacker reported.
 */
export async function underThreadAttack(
  url: string,
  victimKey: string,
  source: string,
): Promise<{ p50: number; rounds: number }> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    let stopped = false;
    let rounds = 0;
    parentPort.on('message', () => { stopped = true; });
    const stop = () => stopped;
    const round = () => { rounds += 1; };
    (async (url) => { ${source} })(workerData.url).finally(() => parentPort.postMessage(rounds));`;
  const worker = new Worker(code, { eval: true, workerData: { url } });
  const finished = new Promise<number>((resolve, reject) => {
    worker.once('message', (n: number) => resolve(n));
    worker.once('error', reject);
  });
  await new Promise((r) => setTimeout(r, 300));
  let p50: number;
  try {
    p50 = await probeP50(url, victimKey);
  } finally {
    worker.postMessage('stop');
  }
  const rounds = await finished;
  await worker.terminate();
  return { p50, rounds };
}

/** Runs `attack` in a loop until the probe is done; returns the probe's p50 and how many attack rounds ran. */
export async function underAttack(
  url: string,
  victimKey: string,
  attackers: number,
  attack: () => Promise<unknown>,
): Promise<{ p50: number; rounds: number }> {
  let done = false;
  let rounds = 0;
  const loops = Array.from({ length: attackers }, async () => {
    while (!done) {
      await attack().catch(() => undefined);
      rounds += 1;
    }
  });
  // Let the attack get going before measuring.
  await new Promise((r) => setTimeout(r, 300));
  try {
    return { p50: await probeP50(url, victimKey), rounds };
  } finally {
    done = true;
    await Promise.all(loops);
  }
}

/** A measured figure: a passing run prints nothing; OFFLOAD_TEST_VERBOSE=1 shows what it measured. */
export function report(line: string): void {
  if (process.env.OFFLOAD_TEST_VERBOSE) console.info(line);
}
