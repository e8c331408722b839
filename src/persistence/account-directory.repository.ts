// Read-only look-ups for the operator's CLI (`accounts list`, `keys list`, `keys create --account NAME`): the way back
// to an account whose id or key was lost. Keys are listed by id and prefix only; the key itself is never stored.
import type { DataSource } from 'typeorm';

export interface AccountRow {
  id: string;
  name: string;
  plan: string;
  createdAt: string;
  activeKeys: number;
}

export interface KeyRow {
  id: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

export async function listAccounts(db: DataSource): Promise<AccountRow[]> {
  const rows: Array<{ id: string; name: string; plan: string; created_at: Date; active_keys: string }> = await db.query(
    `SELECT a.id, a.name, a.plan, a.created_at,
              (SELECT count(*) FROM api_keys k WHERE k.account_id = a.id AND k.revoked_at IS NULL) AS active_keys
         FROM accounts a
        ORDER BY a.created_at, a.id`,
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    plan: r.plan,
    createdAt: iso(r.created_at)!,
    activeKeys: Number(r.active_keys),
  }));
}

/**
 * The accounts an operator's "ID_OR_NAME" may mean: the one with that id (only asked when it looks like one, since
 * PostgreSQL rejects a malformed uuid with an error rather than no row), else every account with that name.
 */
export async function findAccounts(db: DataSource, idOrName: string): Promise<Array<{ id: string; name: string }>> {
  if (UUID.test(idOrName)) {
    const byId: Array<{ id: string; name: string }> = await db.query('SELECT id, name FROM accounts WHERE id = $1', [
      idOrName,
    ]);
    if (byId.length) return byId;
  }
  return db.query('SELECT id, name FROM accounts WHERE name = $1 ORDER BY created_at, id', [idOrName.trim()]);
}

export async function listKeys(db: DataSource, accountId: string): Promise<KeyRow[]> {
  const rows: Array<{ id: string; prefix: string; created_at: Date; revoked_at: Date | null }> = await db.query(
    'SELECT id, prefix, created_at, revoked_at FROM api_keys WHERE account_id = $1 ORDER BY created_at, id',
    [accountId],
  );
  return rows.map((r) => ({ id: r.id, prefix: r.prefix, createdAt: iso(r.created_at)!, revokedAt: iso(r.revoked_at) }));
}
