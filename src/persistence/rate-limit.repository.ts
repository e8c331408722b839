// Every statement on `rate_limit_hits`: per-key request counts per one-minute window, summed over API processes.
import type { DataSource } from 'typeorm';

/** Adds each key's hits to the window's row and returns the window's totals for those keys (every process's). */
export async function addRateLimitHits(
  db: DataSource,
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

/** Windows that have ended carry no budget any more. */
export async function deleteRateLimitWindowsBefore(db: DataSource, before: Date): Promise<void> {
  await db.query(`DELETE FROM rate_limit_hits WHERE window_start < $1`, [before]);
}
