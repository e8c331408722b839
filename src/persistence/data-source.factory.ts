import 'reflect-metadata';
import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';

/**
 * The PostgreSQL connections one process can hold at most (README "Sizing"): the main pool, the createCase pipeline
 * pool and the two LISTEN connections (case feed, key revocations) of an API, and pg-boss's pool. At the defaults a
 * `serve` or `api` process holds at most 10 + 5 + 2 + 3 = 20 and a worker 10 + 3 = 13, so five processes fit in
 * PostgreSQL's default max_connections of 100.
 */
export function connectionBudget(
  sizes: { DATABASE_POOL_MAX: number; JOB_POOL_MAX: number },
  role: { api: boolean },
): { main: number; pipeline: number; listeners: number; jobs: number; total: number } {
  const main = sizes.DATABASE_POOL_MAX;
  const pipeline = role.api ? pipelinePoolMax(main) : 0;
  const listeners = role.api ? 2 : 0;
  const jobs = sizes.JOB_POOL_MAX;
  return { main, pipeline, listeners, jobs, total: main + pipeline + listeners + jobs };
}

const pipelinePoolMax = (poolMax: number): number => Math.max(2, Math.ceil(poolMax / 2));

export function createDataSource(databaseUrl: string, poolMax = 10): DataSource {
  return new DataSource({
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    logging: false,
    extra: { max: poolMax, application_name: 'offload' },
  });
}

/**
 * Connections for writes that pipeline their statements (createCase: reservation, case, job and COMMIT in one
 * round trip). Held for a round trip each, so half the main pool's size serves the same load.
 */
export function createPipelinePool(databaseUrl: string, poolMax = 10): Pool {
  return new Pool({
    connectionString: databaseUrl,
    max: pipelinePoolMax(poolMax),
    pipeline: true,
    application_name: 'offload-writes',
  });
}

/** Creates the database named in the URL when it does not exist yet (first start on a fresh machine). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    } catch (error) {
      // Two processes starting at once: the other one created it.
      if ((error as { code?: string }).code !== '42P04') throw error;
    }
    return true;
  } finally {
    await client.end();
  }
}

/**
 * Drops a database next to `databaseUrl`'s (the demo's temporary one). Pools close their connections a moment after
 * Offload's stop() returns; dropping gently first spares them a "terminated by administrator" error, and FORCE only
 * ends what is still open after a few seconds.
 */
export async function dropDatabase(databaseUrl: string, name: string): Promise<void> {
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    for (let tries = 0; ; tries += 1) {
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}"`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || tries >= 50) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Whether the database answers a query (the readiness probe). */
export async function ping(db: DataSource): Promise<boolean> {
  return (await db.query('SELECT 1')).length === 1;
}

/** Applies pending migrations; returns the names of those it ran. */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const ran = await dataSource.runMigrations({ transaction: 'each' });
  return ran.map((m) => m.name);
}
