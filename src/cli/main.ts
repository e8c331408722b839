#!/usr/bin/env node
// `offload <command>`: serve, api, worker, migrate, sweep, accounts create, keys create|revoke, emit-schema.
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, ConfigError, type Config } from '../config/env.config';
import { PLANS, type Plan } from '../domain/case.model';
import { AppError } from '../domain/app.errors';
import { printOffloadSchema } from '../graphql/graphql.schema';
import { startBoss } from '../jobs/boss.client';
import { AccountsService } from '../services/accounts/account.service';
import { sweepDueCases } from '../services/sweep/sweep.service';
import { createLogger } from '../observability/logger.factory';
import { runDemo } from './demo.command';
import { prepareDatabase, startOffload, type Offload, type Role } from '../server/offload.app';

const print = (line: string): void => void process.stdout.write(`${line}\n`);
const progress = (line: string): void => void process.stderr.write(`${line}\n`);

async function run(role: Role): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  // Listen before starting: a signal during start-up is honoured once Offload is up, never lost to the default
  // action (which would kill the process without closing anything).
  let offload: Offload | null = null;
  let signalled = false;
  let stopping = false;
  const stop = (): void => {
    if (stopping || !offload) return;
    stopping = true;
    offload.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const shutdown = (signal: string): void => {
    signalled = true;
    logger.info({ signal }, 'shutting down');
    stop();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  offload = await startOffload(config, { role, logger });
  if (role !== 'worker') await ensureDevAccount(offload.services.accounts, config);
  logger.info({ url: offload.url, role, agent: config.agent, mail: config.MAIL_TRANSPORT }, 'offload started');
  if (role !== 'worker') progress(`Offload ${role} listening on ${offload.url}/graphql`);
  if (signalled) stop();
}

/**
 * First start: a SANDBOX account named dev, its key printed once, so the README's next command just works. Not in
 * production: there an account nobody asked for, with its key in the log collector, is a credential leak.
 */
async function ensureDevAccount(accounts: AccountsService, config: Config): Promise<void> {
  if ((await accounts.countAccounts()) > 0) return;
  if (config.NODE_ENV === 'production') {
    progress('No account exists yet. Create one with: offload accounts create --name NAME --plan PAYG');
    return;
  }
  const created = await accounts.createAccount('dev', 'SANDBOX');
  progress('Created a SANDBOX account "dev". Its API key (shown only now):');
  print(JSON.stringify(created));
}

async function withDatabase<T>(fn: (config: Config, accounts: AccountsService) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = await prepareDatabase(config);
  try {
    return await fn(config, new AccountsService(db));
  } finally {
    await db.destroy();
  }
}

const parsePlan = (value: string): Plan => {
  const plan = value.toUpperCase();
  if (!(PLANS as readonly string[]).includes(plan))
    throw new InvalidArgumentError(`must be one of ${PLANS.join(', ')}`);
  return plan as Plan;
};

const program = new Command('offload').description('Offload: bounded email jobs with structured results');
program
  .command('serve')
  .description('API and worker in one process')
  .action(() => run('serve'));
program
  .command('api')
  .description('GraphQL, REST and inbound webhooks only')
  .action(() => run('api'));
program
  .command('worker')
  .description('Job processing only')
  .action(() => run('worker'));
program
  .command('migrate')
  .description('Create the database if missing, apply migrations and the job schema')
  .action(async () => {
    const config = loadConfig();
    progress('Applying migrations...');
    const db = await prepareDatabase(config, createLogger('info'));
    await db.destroy();
    progress('Installing the job queue schema...');
    const boss = await startBoss(config.DATABASE_URL, { schedule: false });
    await boss.stop({ graceful: false });
    progress('Database is up to date.');
  });
program
  .command('sweep')
  .description('Run the follow-up sweep once')
  .action(async () => {
    const config = loadConfig();
    const db = await prepareDatabase(config);
    const boss = await startBoss(config.DATABASE_URL, { schedule: false });
    try {
      const queued = await sweepDueCases({ db, boss, clock: () => new Date() });
      print(JSON.stringify({ queued }));
    } finally {
      await boss.stop({ graceful: false });
      await db.destroy();
    }
  });

const accounts = program.command('accounts').description('Manage accounts');
accounts
  .command('create')
  .requiredOption('--name <name>', 'account name')
  .requiredOption('--plan <plan>', `one of ${PLANS.join(', ')}`, parsePlan)
  .action(async (opts: { name: string; plan: Plan }) => {
    const created = await withDatabase((_c, service) => service.createAccount(opts.name, opts.plan));
    print(JSON.stringify(created));
  });

const keys = program.command('keys').description('Manage API keys');
keys
  .command('create')
  .requiredOption('--account <accountId>', 'account id')
  .action(async (opts: { account: string }) => {
    const created = await withDatabase((_c, service) => service.createKey(opts.account));
    print(JSON.stringify({ accountId: opts.account, ...created }));
  });
keys
  .command('revoke')
  .argument('<keyOrId>', 'the API key itself, or its id')
  .action(async (keyOrId: string) => {
    const revoked = await withDatabase((_c, service) => service.revokeKey(keyOrId));
    print(JSON.stringify({ revoked }));
    if (!revoked) process.exitCode = 1;
  });
program
  .command('emit-schema')
  .description('Write the GraphQL SDL to schema/schema.graphql')
  .option('--out <file>', 'output file', 'schema/schema.graphql')
  .action(async (opts: { out: string }) => {
    await writeFile(opts.out, await printOffloadSchema());
    progress(`wrote ${opts.out}`);
  });

program
  .command('demo')
  .description('One case end to end on a temporary database')
  .action(() => runDemo(process.env, print, progress));

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof AppError) progress(error.message);
  else progress(`offload: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
