// One PostgreSQL for the whole jest run (SPEC §8): TEST_DATABASE_URL's server when set (the legacy
// OFFLOAD_TEST_ADMIN_URL too), else an embedded one in a temporary directory, started here once and handed to the
// workers through the environment they inherit. Each test file still creates and drops a database of its own.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/persistence/embedded-postgres.server';

declare global {
  var offloadTestPostgres: EmbeddedServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  const given = process.env.TEST_DATABASE_URL || process.env.OFFLOAD_TEST_ADMIN_URL;
  if (given) {
    process.env.TEST_DATABASE_URL = given;
    return;
  }
  const home = await mkdtemp(path.join(tmpdir(), 'offload-test-pg-'));
  // Several test files run at once, each with an API pool, a pipeline pool, pg-boss and a feed listener, and some
  // with separate API and worker processes: more than PostgreSQL's default 100 connections at peak.
  const server = await startEmbeddedPostgres({ home, ephemeral: true, maxConnections: 400 });
  globalThis.offloadTestPostgres = server;
  process.env.TEST_DATABASE_URL = server.adminUrl;
  process.env.OFFLOAD_TEST_EMBEDDED = '1';
}
