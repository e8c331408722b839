// `instance_settings`: values one deployment shares across its processes and restarts.
import type { Tx } from './transaction.types';

/** The value stored under `key`, storing `initial` first if there is none; the first process to store wins. */
export async function settingOrInitial(db: Tx, key: 'signing_secret', initial: string): Promise<string> {
  await db.query(`INSERT INTO instance_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [
    key,
    initial,
  ]);
  const rows: Array<{ value: string }> = await db.query(`SELECT value FROM instance_settings WHERE key = $1`, [key]);
  return rows[0]!.value;
}
