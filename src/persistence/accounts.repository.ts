// Every read and write of `accounts`.
import { AccountEntity } from './entities';
import type { Tx } from './transaction.types';

export type NewAccount = Omit<AccountEntity, 'createdAt'>;

export async function insertAccount(manager: Tx, account: NewAccount): Promise<void> {
  await manager.insert(AccountEntity, account);
}

export async function findAccount(db: Tx, id: string): Promise<AccountEntity | null> {
  return db.getRepository(AccountEntity).findOneBy({ id });
}

export async function setWebhookSecret(db: Tx, id: string, webhookSecret: string): Promise<void> {
  await db.getRepository(AccountEntity).update({ id }, { webhookSecret });
}

/** Sets an account's own monthly cap; false when there is no such account. */
export async function setMonthlyLimit(
  db: Tx,
  id: string,
  limit: { monthlyLimit: number | null; unlimitedCases: boolean },
): Promise<boolean> {
  const result = await db.getRepository(AccountEntity).update({ id }, limit);
  return (result.affected ?? 0) > 0;
}

export async function countAccounts(db: Tx): Promise<number> {
  return db.getRepository(AccountEntity).count();
}

// Read-only look-ups for the operator's CLI (`accounts list`, `keys create --account NAME`): the way back to an
// account whose id or key was lost.
export interface AccountRow {
  id: string;
  name: string;
  plan: string;
  /** The operator's own cap; null: the plan's. */
  monthlyLimit: number | null;
  unlimited: boolean;
  createdAt: string;
  activeKeys: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

export async function listAccounts(db: Tx): Promise<AccountRow[]> {
  const rows: Array<{
    id: string;
    name: string;
    plan: string;
    monthly_limit: number | null;
    unlimited_cases: boolean;
    created_at: Date;
    active_keys: string;
  }> = await db.query(
    `SELECT a.id, a.name, a.plan, a.monthly_limit, a.unlimited_cases, a.created_at,
              (SELECT count(*) FROM api_keys k WHERE k.account_id = a.id AND k.revoked_at IS NULL) AS active_keys
         FROM accounts a
        ORDER BY a.created_at, a.id`,
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    plan: r.plan,
    monthlyLimit: r.monthly_limit,
    unlimited: r.unlimited_cases,
    createdAt: iso(r.created_at)!,
    activeKeys: Number(r.active_keys),
  }));
}

/**
 * The accounts an operator's "ID_OR_NAME" may mean: the one with that id (only asked when it looks like one, since
 * PostgreSQL rejects a malformed uuid with an error rather than no row), else every account with that name.
 */
export async function findAccounts(db: Tx, idOrName: string): Promise<Array<{ id: string; name: string }>> {
  if (UUID.test(idOrName)) {
    const byId: Array<{ id: string; name: string }> = await db.query('SELECT id, name FROM accounts WHERE id = $1', [
      idOrName,
    ]);
    if (byId.length) return byId;
  }
  return db.query('SELECT id, name FROM accounts WHERE name = $1 ORDER BY created_at, id', [idOrName.trim()]);
}
