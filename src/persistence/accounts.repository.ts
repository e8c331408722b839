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

export async function countAccounts(db: Tx): Promise<number> {
  return db.getRepository(AccountEntity).count();
}
