// What the machine gives the embedded PostgreSQL: its binaries, the system user it runs as when we are root, a
// free port, process checks. Kept apart from the server's life cycle (embedded-postgres.ts).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, cp, readFile, rename, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);

/** PostgreSQL refuses to run as root; as root we run it as this system user (created when missing). */
export const EMBEDDED_SYSTEM_USER = 'postgres';
export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}

export function binDir(): string {
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

export interface Identity {
  uid: number;
  gid: number;
  name: string;
}

export async function systemUser(): Promise<Identity | null> {
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

export async function freePort(): Promise<number> {
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

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export async function logTail(logFile: string): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-5).join('\n');
}

/** Runs a binary as the server's user (root cannot); says plainly when that user cannot reach the binaries. */
export async function runAs(user: Identity | null, file: string, args: string[]): Promise<string> {
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
export async function reachableBinDir(bin: string, user: Identity | null): Promise<string> {
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
export async function blockedAncestor(dir: string, user: Identity): Promise<string | null> {
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    const info = await stat(current);
    const canEnter =
      info.uid === user.uid ? info.mode & 0o100 : info.gid === user.gid ? info.mode & 0o010 : info.mode & 0o001;
    if (!canEnter) return current;
    if (current === path.dirname(current)) return null;
  }
}
