// The session advisory lock a send holds from "attempt recorded" to "outcome recorded" (see case-send.service.ts).
import type { DataSource, QueryRunner } from 'typeorm';
import type { Tx } from './transaction.types';

// The first key of pg_advisory_lock(int, int): keeps our locks apart from anyone else's single-key locks.
const SEND_LOCK_CLASS = 0x5e4d;

/**
 * Runs `work` on one connection that holds the send key's advisory lock for the whole of it. The lock dies with its
 * connection, so a killed worker leaves nothing held.
 */
export async function holdingSendLock(
  db: DataSource,
  key: string,
  work: (manager: Tx) => Promise<void>,
): Promise<void> {
  const runner = db.createQueryRunner();
  await runner.connect();
  let broken: unknown = null;
  try {
    await runner.query('SELECT pg_advisory_lock($1, hashtext($2))', [SEND_LOCK_CLASS, key]);
    await work(runner.manager);
  } finally {
    try {
      await runner.query('SELECT pg_advisory_unlock($1, hashtext($2))', [SEND_LOCK_CLASS, key]);
    } catch (error) {
      broken = error;
    }
    await release(runner, broken);
  }
}

/** A connection whose unlock failed may still hold the lock: it is destroyed, never returned to the pool. */
async function release(runner: QueryRunner, broken: unknown): Promise<void> {
  const postgres = runner as QueryRunner & { releasePostgresConnection?: (error?: unknown) => Promise<void> };
  if (broken && postgres.releasePostgresConnection) await postgres.releasePostgresConnection(broken);
  else await runner.release();
}
