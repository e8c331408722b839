// Accounts and their API keys. Keys are shown once at creation and stored only as a hash.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { monthlyCap, PLANS, UNLIMITED_REPORTED, type Plan } from '../../domain/case.model';
import { AppError, badField } from '../../domain/app.errors';
import {
  countAccounts,
  findAccount,
  insertAccount,
  setMonthlyLimit,
  setWebhookSecret,
} from '../../persistence/accounts.repository';
import { insertApiKey, keyWithAccount, revokeApiKey, type NewApiKey } from '../../persistence/api-keys.repository';
import { notifyKeysRevoked } from '../../persistence/key-revocation.repository';
import type { Database } from '../../persistence/transaction.types';
import { generateWebhookSecret } from '../../webhooks/webhook.signer';

export interface AuthenticatedAccount {
  id: string;
  name: string;
  plan: Plan;
  keyId: string;
  /** The month's cap on created (and billable) cases; null: none (see monthlyCap). */
  monthlyLimit: number | null;
}

/** An operator's monthly limit: a number of cases, 'none' for no limit, 'plan' for the plan's cap. */
export type MonthlyLimitSetting = number | 'none' | 'plan';

const limitColumns = (setting: MonthlyLimitSetting): { monthlyLimit: number | null; unlimitedCases: boolean } => {
  if (setting === 'none') return { monthlyLimit: null, unlimitedCases: true };
  if (setting === 'plan') return { monthlyLimit: null, unlimitedCases: false };
  // Usage.limit is a GraphQL Int: a larger cap could not be reported (and 'none' says it better).
  if (!Number.isInteger(setting) || setting < 0 || setting >= UNLIMITED_REPORTED)
    throw badField('monthlyLimit', `must be an integer from 0 to ${UNLIMITED_REPORTED - 1}, or none`);
  return { monthlyLimit: setting, unlimitedCases: false };
};

export interface CreatedAccount {
  accountId: string;
  apiKey: string;
  plan: Plan;
  webhookSecret: string;
}

const KEY_PREFIX = 'ofk_';

const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

const newApiKey = (): string => `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;

export class AccountsService {
  /** Valid keys seen lately, by hash: the key lookup is a round trip on every request otherwise. */
  private readonly recent = new Map<string, { account: AuthenticatedAccount; until: number }>();

  /**
   * @param cacheSeconds how long a valid key is trusted without asking the database (AUTH_CACHE_SECONDS). A revocation
   * takes effect at once in the process that revokes, and within this many seconds in every other process.
   */
  constructor(
    private readonly db: Database,
    private readonly cacheSeconds = 0,
  ) {}

  async createAccount(name: string, plan: Plan, limit: MonthlyLimitSetting = 'plan'): Promise<CreatedAccount> {
    if (!PLANS.includes(plan)) throw badField('plan', `must be one of ${PLANS.join(', ')}`);
    if (!name.trim()) throw badField('name', 'must not be empty');
    const columns = limitColumns(limit);
    return this.db.transaction(async (manager) => {
      const account = {
        id: randomUUID(),
        name: name.trim(),
        plan,
        webhookSecret: generateWebhookSecret(),
        ...columns,
      };
      await insertAccount(manager, account);
      const apiKey = newApiKey();
      await insertApiKey(manager, this.keyRow(account.id, apiKey));
      return { accountId: account.id, apiKey, plan, webhookSecret: account.webhookSecret };
    });
  }

  async createKey(accountId: string): Promise<{ keyId: string; apiKey: string }> {
    const account = await findAccount(this.db.manager, accountId);
    if (!account) throw badField('account', `no account ${accountId}`);
    const apiKey = newApiKey();
    const row = this.keyRow(accountId, apiKey);
    await insertApiKey(this.db.manager, row);
    return { keyId: row.id, apiKey };
  }

  /**
   * Revokes by key id or by the key itself; returns whether a live key was revoked. Every API process is told
   * (key-revocation.repository.ts): it forgets the key and closes the graphql-ws sockets the key opened.
   */
  async revokeKey(keyOrId: string): Promise<boolean> {
    const where = keyOrId.startsWith(KEY_PREFIX) ? { keyHash: hashApiKey(keyOrId) } : { id: keyOrId };
    const revoked = await revokeApiKey(this.db.manager, where);
    // After the update, so a lookup racing it cannot put the key back.
    this.forgetKeys(revoked);
    await notifyKeysRevoked(this.db.manager, revoked);
    return revoked.length > 0;
  }

  /** Drops revoked keys from the authentication cache (told by another process, or by revokeKey). */
  forgetKeys(keyIds: Iterable<string>): void {
    const ids = new Set(keyIds);
    for (const [hash, entry] of this.recent) if (ids.has(entry.account.keyId)) this.recent.delete(hash);
  }

  /**
   * Sets an account's monthly limit. Processes that authenticated one of its keys in the last AUTH_CACHE_SECONDS
   * keep the old cap until their cache entry expires.
   */
  async setMonthlyLimit(accountId: string, limit: MonthlyLimitSetting): Promise<void> {
    if (!(await setMonthlyLimit(this.db.manager, accountId, limitColumns(limit))))
      throw badField('account', `no account ${accountId}`);
  }

  async rotateWebhookSecret(accountId: string): Promise<string> {
    const secret = generateWebhookSecret();
    await setWebhookSecret(this.db.manager, accountId, secret);
    return secret;
  }

  async countAccounts(): Promise<number> {
    return countAccounts(this.db.manager);
  }

  /**
   * Resolves an API key to its account. Unknown keys are UNAUTHENTICATED; revoked keys are FORBIDDEN, as the
   * reference does for inactive keys (401 vs 403).
   */
  async authenticate(apiKey: string): Promise<AuthenticatedAccount> {
    const hash = hashApiKey(apiKey);
    const cached = this.recent.get(hash);
    if (cached && cached.until > Date.now()) return cached.account;
    const account = await this.lookUp(hash);
    if (this.cacheSeconds > 0) {
      if (this.recent.size >= 10_000) this.recent.clear();
      this.recent.set(hash, { account, until: Date.now() + this.cacheSeconds * 1000 });
    }
    return account;
  }

  private async lookUp(hash: string): Promise<AuthenticatedAccount> {
    const row = await keyWithAccount(this.db.manager, hash);
    if (!row) throw new AppError('UNAUTHENTICATED', 'Unknown API key');
    if (row.revoked_at) throw new AppError('FORBIDDEN', 'This API key has been revoked');
    const monthlyLimit = monthlyCap(row.plan, { monthlyLimit: row.monthly_limit, unlimited: row.unlimited_cases });
    return { id: row.id, name: row.name, plan: row.plan, keyId: row.key_id, monthlyLimit };
  }

  private keyRow(accountId: string, apiKey: string): NewApiKey {
    return { id: randomUUID(), accountId, keyHash: hashApiKey(apiKey), prefix: apiKey.slice(0, 10), revokedAt: null };
  }
}
