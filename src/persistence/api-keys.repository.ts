// Every read and write of `api_keys`, which hold only a hash of each key.
import type { Plan } from '../domain/case.model';
import { ApiKeyEntity } from './entities';
import type { Tx } from './transaction.types';

export type NewApiKey = Omit<ApiKeyEntity, 'createdAt'>;

export async function insertApiKey(manager: Tx, key: NewApiKey): Promise<void> {
  await manager.insert(ApiKeyEntity, key);
}

/** Revokes a live key, named by id or by its hash; the ids revoked (none when there was no live key). */
export async function revokeApiKey(db: Tx, key: { id: string } | { keyHash: string }): Promise<string[]> {
  const result = await db
    .getRepository(ApiKeyEntity)
    .createQueryBuilder()
    .update()
    .set({ revokedAt: () => 'now()' })
    .where(key)
    .andWhere('revoked_at IS NULL')
    .returning('id')
    .execute();
  return (result.raw as Array<{ id: string }>).map((r) => r.id);
}

/** A key and the account it belongs to, revoked or not. */
export interface KeyWithAccount {
  key_id: string;
  revoked_at: Date | null;
  id: string;
  name: string;
  plan: Plan;
  monthly_limit: number | null;
  unlimited_cases: boolean;
}

/** The key with this hash and its account, in one round trip: it runs on every request the auth cache misses. */
export async function keyWithAccount(db: Tx, keyHash: string): Promise<KeyWithAccount | null> {
  const rows: KeyWithAccount[] = await db.query(
    `SELECT k.id AS key_id, k.revoked_at, a.id, a.name, a.plan, a.monthly_limit, a.unlimited_cases
       FROM api_keys k JOIN accounts a ON a.id = k.account_id
      WHERE k.key_hash = $1`,
    [keyHash],
  );
  return rows[0] ?? null;
}

// The operator's `keys list`: keys by id and prefix only (the key itself is never stored).
export interface KeyRow {
  id: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

export async function listKeys(db: Tx, accountId: string): Promise<KeyRow[]> {
  const rows: Array<{ id: string; prefix: string; created_at: Date; revoked_at: Date | null }> = await db.query(
    'SELECT id, prefix, created_at, revoked_at FROM api_keys WHERE account_id = $1 ORDER BY created_at, id',
    [accountId],
  );
  return rows.map((r) => ({ id: r.id, prefix: r.prefix, createdAt: iso(r.created_at)!, revokedAt: iso(r.revoked_at) }));
}
