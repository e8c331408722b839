// Every statement on `provider_limits`: one row per provider key whose JSON state every worker process shares.
// The state's meaning belongs to the caller (src/services/limits); here it is only read and changed under a row lock.
import type { Database } from './transaction.types';

/**
 * Runs `change` once on the key's state (null for a key never seen) under the row's lock and stores what it returns,
 * so the workers' changes to one key are serialised.
 */
export async function changeProviderLimit<T>(
  db: Database,
  key: string,
  change: (state: unknown) => { state: unknown; result: T },
): Promise<T> {
  return db.transaction(async (manager) => {
    const lock = `SELECT state FROM provider_limits WHERE key = $1 FOR UPDATE`;
    let rows: Array<{ state: unknown }> = await manager.query(lock, [key]);
    if (!rows.length) {
      // The key's first use: create the row (another worker may race us to it), then lock it like any other time.
      await manager.query(`INSERT INTO provider_limits (key) VALUES ($1) ON CONFLICT (key) DO NOTHING`, [key]);
      rows = await manager.query(lock, [key]);
    }
    const { state, result } = change(rows[0]?.state ?? null);
    await manager.query(`UPDATE provider_limits SET state = $2::jsonb, updated_at = now() WHERE key = $1`, [
      key,
      JSON.stringify(state),
    ]);
    return result;
  });
}

/** The key's state as last committed (null when the key was never used); no lock. */
export async function readProviderLimit(db: Database, key: string): Promise<unknown> {
  const rows: Array<{ state: unknown }> = await db.query(`SELECT state FROM provider_limits WHERE key = $1`, [key]);
  return rows[0]?.state ?? null;
}

/** Every key whose prefix matches (e.g. "model:"), with its state. */
export async function readProviderLimits(
  db: Database,
  prefix: string,
): Promise<Array<{ key: string; state: unknown }>> {
  return db.query(`SELECT key, state FROM provider_limits WHERE starts_with(key, $1) ORDER BY key`, [prefix]);
}
