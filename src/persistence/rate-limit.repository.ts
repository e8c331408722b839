// Every statement on `rate_limit_hits`: per-key request counts per one-minute window, summed over API processes.
import type { Tx } from './transaction.types';

/** Adds each key's hits to the window's row and returns the window's totals for those keys (every process's). */
export async function addRateLimitHits(
  db: Tx,
  windowStart: Date,
  hits: ReadonlyMap<string, number>,
): Promise<Map<string, number>> {
  if (hits.size === 0) return new Map();
  const rows: Array<{ key: string; hits: number }> = await db.query(
    `INSERT INTO rate_limit_hits (key, window_start, hits)
     SELECT k, $1, h FROM unnest($2::text[], $3::int[]) AS t(k, h)
     ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limit_hits.hits + EXCLUDED.hits
     RETURNING key, hits`,
    [windowStart, [...hits.keys()], [...hits.values()]],
  );
  return new Map(rows.map((r) => [r.key, r.hits]));
}

/** The window's totals for keys this process has not used since its last flush (other processes may have). */
export async function readRateLimitHits(db: Tx, windowStart: Date, keys: string[]): Promise<Map<string, number>> {
  if (keys.length === 0) return new Map();
  const rows: Array<{ key: string; hits: number }> = await db.query(
    `SELECT key, hits FROM rate_limit_hits WHERE window_start = $1 AND key = ANY($2::text[])`,
    [windowStart, keys],
  );
  return new Map(rows.map((r) => [r.key, r.hits]));
}

/** Windows that have ended carry no budget any more. */
export async function deleteRateLimitWindowsBefore(db: Tx, before: Date): Promise<void> {
  await db.query(`DELETE FROM rate_limit_hits WHERE window_start < $1`, [before]);
}
