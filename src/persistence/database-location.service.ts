// Which PostgreSQL a command uses (SPEC §8): DATABASE_URL when set, checked before anything else so an unreachable
// server is one line naming it; otherwise the embedded server in OFFLOAD_HOME, started here or joined if running.
import path from 'node:path';
import { Client } from 'pg';
import { ConfigError, type Config } from '../config/env.config';
import { EmbeddedPostgresError, startEmbeddedPostgres } from './embedded-postgres.server';

export interface DatabaseLocation {
  /** The URL of Offload's database (created on first use by prepareDatabase). */
  url: string;
  /** One line for the start-up output: which server, where. */
  description: string;
  embedded: boolean;
  /** Stops the embedded server if this process started it; nothing otherwise. */
  stop(): Promise<void>;
}

/** Expected start-up failures: printed as their message alone, exit code 1. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

const EMBEDDED_DATABASE = 'offload';

/** Roles that must share one server with other processes: an embedded server per process would split the data. */
const NEEDS_URL = new Set(['api', 'worker']);

export async function locateDatabase(
  config: Config,
  command: string,
  progress?: (line: string) => void,
): Promise<DatabaseLocation> {
  if (config.DATABASE_URL) {
    await checkReachable(config.DATABASE_URL);
    return {
      url: config.DATABASE_URL,
      description: `Database: PostgreSQL at ${where(config.DATABASE_URL)} (DATABASE_URL)`,
      embedded: false,
      stop: async () => {},
    };
  }
  if (NEEDS_URL.has(command))
    throw new ConfigError(
      `DATABASE_URL: required by \`offload ${command}\`: the API and worker roles run as separate processes that must share one PostgreSQL server (without DATABASE_URL, \`offload serve\` runs both on an embedded one)`,
    );
  try {
    const server = await startEmbeddedPostgres({
      home: config.OFFLOAD_HOME,
      onInitialise: (dir) =>
        progress?.(
          `First start without DATABASE_URL: creating an embedded PostgreSQL in ${path.relative(process.cwd(), dir) || dir}...`,
        ),
    });
    const url = new URL(server.adminUrl);
    url.pathname = `/${EMBEDDED_DATABASE}`;
    const notes = [
      server.owned ? null : 'already running for another Offload process, used as is',
      server.runsAs ? `running as system user ${server.runsAs}, since PostgreSQL refuses to run as root` : null,
    ].filter(Boolean);
    return {
      url: url.toString(),
      description:
        `Database: embedded PostgreSQL ${server.version} on 127.0.0.1:${server.port}, data in ` +
        `${shown(server.dataDir)} (OFFLOAD_HOME; set DATABASE_URL to use ` +
        `another server)${notes.length ? `; ${notes.join('; ')}` : ''}`,
      embedded: true,
      stop: () => server.stop(),
    };
  } catch (error) {
    if (error instanceof EmbeddedPostgresError) throw new DatabaseUnavailableError(error.message);
    throw error;
  }
}

/** Relative to the working directory when inside it (the usual .offload/), else absolute. */
function shown(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : dir;
}

/** host:port/database, without the password. */
export function where(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname}`;
}

const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is PostgreSQL running there?)',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name does not resolve',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ECONNRESET: 'the connection was reset',
};

async function checkReachable(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    const e = error as { code?: string; message?: string };
    // The database itself may not exist yet: the server answered, and prepareDatabase creates it.
    if (e.code === '3D000') return;
    const reason =
      (e.code && UNREACHABLE[e.code]) ??
      (e.message?.includes('timeout') ? 'the connection timed out' : (e.message ?? String(error)));
    throw new DatabaseUnavailableError(
      `Cannot connect to PostgreSQL at ${where(databaseUrl)} (DATABASE_URL): ${reason}. Unset DATABASE_URL to use the embedded PostgreSQL instead.`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}
