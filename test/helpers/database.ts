// Each test file gets its own database, created fresh and dropped at the end (kept when OFFLOAD_KEEP_TEST_DB=1,
// for looking at a failure), on the run's one server (test/setup/postgres.global-setup.ts).
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The run's server, at its maintenance database: TEST_DATABASE_URL, set by jest's global setup when not given. */
export function testServerUrl(): string {
  const url = process.env.TEST_DATABASE_URL || process.env.OFFLOAD_TEST_ADMIN_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests through jest (its global setup sets it)');
  return url;
}

const ADMIN_URL = testServerUrl();

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const name = `offload_${label
    .replace(/[^a-z0-9]/gi, '_')
    .toLowerCase()
    .slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      if (process.env.OFFLOAD_KEEP_TEST_DB === '1') return;
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
