// Shared pieces of the benchmarks: a fresh database, an in-process Offload or an API process, timing and percentiles.
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { loadConfig, type Config } from '../src/config/env.config';
import { createLogger } from '../src/observability/logger.factory';
import { prepareDatabase, startOffload, type Offload, type Role } from '../src/server/offload.app';
import { AccountsService, type CreatedAccount } from '../src/services/accounts/account.service';

const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new database on BENCH_ADMIN_URL's server: empty, or a copy of `template` (which must have no connections). */
export async function freshDatabase(label: string, template?: string): Promise<BenchDatabase> {
  const name = `offload_bench_${label}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
        break;
      } catch (error) {
        // A pool that just closed may still have a backend exiting on the template: PostgreSQL refuses for a moment.
        if (!template || (error as { code?: string }).code !== '55006' || attempt >= 50) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The configuration every benchmarked Offload runs with: production mode, quiet, no rate limit, any port. */
function benchEnv(databaseUrl: string, env: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    RATE_LIMIT_PER_MINUTE: '0',
    ...env,
  };
}

/** The configuration a bench-started Offload process parses (the parent's environment, the bench's, then `env`). */
export function benchConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({ ...process.env, ...benchEnv(databaseUrl, env) });
}

export async function startBenchOffload(
  databaseUrl: string,
  role: Role,
  env: Record<string, string> = {},
): Promise<{ offload: Offload; config: Config; apiKey: string; accountId: string }> {
  const config = loadConfig(benchEnv(databaseUrl, env));
  const offload = await startOffload(config, { role, logger: createLogger('silent') });
  const account = await offload.services.accounts.createAccount('bench', 'BASE_PRO', 'none');
  return { offload, config, apiKey: account.apiKey, accountId: account.accountId };
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** The middle element by `key` (the upper middle of an even count). */
export function medianBy<T>(values: T[], key: (value: T) => number): T {
  if (!values.length) throw new Error('median of nothing');
  return [...values].sort((a, b) => key(a) - key(b))[Math.floor(values.length / 2)]!;
}

export interface LatencySummary {
  count: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs `task` `total` times with `concurrency` in flight; returns throughput and latency percentiles. */
export async function load(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<LatencySummary> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const t0 = performance.now();
        await task(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    count: total,
    perSecond: total / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

export function machine(): Record<string, unknown> {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

export const log = (line: string): void => void process.stderr.write(`${line}\n`);

export interface BenchApiProcess extends BenchProcess {
  url: string;
  apiKey: string;
  accountId: string;
}

/** An Offload CLI process the bench started. */
export interface BenchProcess {
  /** The GraphQL server's base URL (null for a worker, which serves none). */
  url: string | null;
  pid: number;
  /** CPU the process used so far (user + system, ms), from /proc: the bench's own figures exclude it. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Creates the bench account (BASE_PRO, no monthly limit) in a migrated database, before any Offload process starts. */
export async function prepareBenchAccount(
  databaseUrl: string,
  env: Record<string, string> = {},
  name = 'bench',
): Promise<CreatedAccount> {
  const db = await prepareDatabase(benchConfig(databaseUrl, env));
  try {
    return await new AccountsService(db).createAccount(name, 'BASE_PRO', 'none');
  } finally {
    await db.destroy();
  }
}

/**
 * Offload's API role in a process of its own (`offload api`), as it is deployed: a server does not share its event
 * loop with its clients. The account is created (BASE_PRO, no monthly limit) before the process starts, so it finds one and
 * creates no dev account.
 */
export async function startBenchApiProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<BenchApiProcess> {
  const account = await prepareBenchAccount(databaseUrl, env);
  const child = await spawnOffload('api', databaseUrl, env);
  return { ...child, url: child.url!, apiKey: account.apiKey, accountId: account.accountId };
}

/**
 * `offload serve|api|worker` as a child process on the bench configuration plus `env`; resolves once it says it is
 * up. The parent's environment passes through, so MODEL_MAX_CONCURRENCY and friends given to `npm run bench` reach it.
 */
export async function spawnOffload(
  role: 'serve' | 'api' | 'worker',
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<BenchProcess> {
  const childEnv = { ...process.env, ...benchEnv(databaseUrl, env) };
  const child = spawn(process.execPath, [path.join(__dirname, '../src/cli/main.js'), role], {
    env: childEnv,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A bench that dies (an assertion, ^C) must not leave a server holding database connections behind it.
  const killChild = () => void child.kill('SIGKILL');
  process.once('exit', killChild);
  void exited.then(() => process.off('exit', killChild));
  const url = await new Promise<string | null>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /(?:is up: GraphQL|listening on) (http:\/\/\S+)\/graphql/.exec(seen);
      if (match || /Offload worker running/.test(seen)) {
        child.stderr!.off('data', onData);
        child.stderr!.resume(); // keep draining, so a chatty child never blocks on a full pipe
        resolve(match?.[1] ?? null);
      }
    };
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`offload ${role} exited before it was up: ${seen}`)));
  });
  return {
    url,
    pid: child.pid!,
    cpuMs: () => processCpuMs(child.pid!),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      // A stalled run can leave jobs waiting out the graceful drain; the bench's database is dropped anyway.
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** User + system CPU of a live process in ms (Linux /proc; clock ticks are 100 Hz there). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
