// The operator's one-shot commands. Each finds the database the way `serve` does (and so, while `serve` runs on the
// embedded PostgreSQL, joins that server instead of starting a second one on the same data).
import type { Database } from '../persistence/transaction.types';
import { loadConfig, type Config } from '../config/env.config';
import type { Plan } from '../domain/case.model';
import { AppError } from '../domain/app.errors';
import { startBoss } from '../jobs/boss.client';
import { findAccounts, listAccounts } from '../persistence/accounts.repository';
import { listKeys } from '../persistence/api-keys.repository';
import { locateDatabase } from '../persistence/database-location.service';
import { AccountsService, type MonthlyLimitSetting } from '../services/accounts/account.service';
import { sweepDueCases } from '../services/sweep/sweep.service';
import { CaseErasureService } from '../services/cases/case-erasure.service';
import { createLogger } from '../observability/logger.factory';
import { prepareDatabase } from '../server/offload.app';
import { print, progress } from './cli-output.writer';

interface Opened {
  config: Config & { DATABASE_URL: string };
  db: Database;
  accounts: AccountsService;
}

async function withDatabase<T>(
  command: string,
  fn: (opened: Opened) => Promise<T>,
  options: { announce?: boolean } = {},
): Promise<T> {
  const base = loadConfig();
  const location = await locateDatabase(base, command, progress);
  if (options.announce) progress(location.description);
  const config = { ...base, DATABASE_URL: location.url };
  try {
    const db = await prepareDatabase(config, options.announce ? createLogger('info') : undefined);
    try {
      return await fn({ config, db, accounts: new AccountsService(db) });
    } finally {
      await db.destroy();
    }
  } finally {
    await location.stop();
  }
}

/** ID_OR_NAME to one account, or a one-line error saying how to find the right one. */
async function resolveAccount(db: Database, idOrName: string): Promise<{ id: string; name: string }> {
  const found = await findAccounts(db.manager, idOrName);
  if (found.length === 1) return found[0]!;
  if (found.length === 0)
    throw new AppError(
      'BAD_USER_INPUT',
      `account: no account with id or name "${idOrName}" (see \`offload accounts list\`)`,
    );
  throw new AppError(
    'BAD_USER_INPUT',
    `account: ${found.length} accounts are named "${idOrName}"; give one of their ids: ${found.map((a) => a.id).join(', ')}`,
  );
}

export const migrateCommand = (): Promise<void> =>
  withDatabase(
    'migrate',
    async ({ config }) => {
      progress('Installing the job queue schema...');
      const boss = await startBoss(config.DATABASE_URL, { schedule: false, poolMax: config.JOB_POOL_MAX });
      await boss.stop({ graceful: false });
      progress('Database is up to date.');
    },
    { announce: true },
  );

export const sweepCommand = (): Promise<void> =>
  withDatabase('sweep', async ({ config, db }) => {
    const boss = await startBoss(config.DATABASE_URL, { schedule: false, poolMax: config.JOB_POOL_MAX });
    try {
      const clock = () => new Date();
      const logger = createLogger(config.LOG_LEVEL);
      const erasure = new CaseErasureService({ db, boss, clock, config, logger, changes: { changed: () => {} } });
      const erased = await erasure.eraseExpired();
      const queued = await sweepDueCases({ db, boss, clock });
      print(JSON.stringify({ queued, erased }));
    } finally {
      await boss.stop({ graceful: false });
    }
  });

export const createAccountCommand = (name: string, plan: Plan, monthlyLimit?: number | 'none'): Promise<void> =>
  withDatabase('accounts create', async ({ accounts }) => {
    const created = await accounts.createAccount(name, plan, monthlyLimit ?? 'plan');
    print(JSON.stringify({ ...created, ...limitReport(monthlyLimit ?? 'plan') }));
  });

export const updateAccountCommand = (idOrName: string, monthlyLimit: MonthlyLimitSetting): Promise<void> =>
  withDatabase('accounts update', async ({ db, accounts }) => {
    const account = await resolveAccount(db, idOrName);
    await accounts.setMonthlyLimit(account.id, monthlyLimit);
    const row = (await listAccounts(db.manager)).find((a) => a.id === account.id)!;
    print(
      JSON.stringify({
        accountId: row.id,
        name: row.name,
        plan: row.plan,
        monthlyLimit: row.monthlyLimit,
        unlimited: row.unlimited,
      }),
    );
  });

/** How a limit setting reads in the CLI's JSON: monthlyLimit null means the plan's cap, unlimited true none. */
const limitReport = (setting: MonthlyLimitSetting) => ({
  monthlyLimit: typeof setting === 'number' ? setting : null,
  unlimited: setting === 'none',
});

export const listAccountsCommand = (): Promise<void> =>
  withDatabase('accounts list', async ({ db }) => {
    for (const account of await listAccounts(db.manager)) print(JSON.stringify(account));
  });

export const createKeyCommand = (idOrName: string): Promise<void> =>
  withDatabase('keys create', async ({ db, accounts }) => {
    const account = await resolveAccount(db, idOrName);
    print(JSON.stringify({ accountId: account.id, ...(await accounts.createKey(account.id)) }));
  });

export const listKeysCommand = (idOrName: string): Promise<void> =>
  withDatabase('keys list', async ({ db }) => {
    const account = await resolveAccount(db, idOrName);
    for (const key of await listKeys(db.manager, account.id)) print(JSON.stringify({ accountId: account.id, ...key }));
  });

export const revokeKeyCommand = (keyOrId: string): Promise<void> =>
  withDatabase('keys revoke', async ({ accounts }) => {
    // A key id is a uuid; asking PostgreSQL about anything else would answer with a type error, not "no such key".
    const looksValid = keyOrId.startsWith('ofk_') || /^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(keyOrId);
    const revoked = looksValid && (await accounts.revokeKey(keyOrId));
    print(JSON.stringify({ revoked }));
    if (!revoked) process.exitCode = 1;
  });
