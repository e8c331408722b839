#!/usr/bin/env node
// `offload <command>`. Only commander loads up front: each command imports its own modules when it runs, so
// `--help` and `--version` answer at once instead of after loading GraphQL, TypeORM and pg-boss.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { PLANS, type Plan } from '../domain/case.model';
import { EXPECTED_ERRORS, print, progress } from './cli-output.writer';

/** dist/src/cli/main.js and src/cli/main.ts sit at different depths below package.json. */
function version(): string {
  for (const up of ['../..', '../../..']) {
    try {
      const pkg = JSON.parse(readFileSync(path.resolve(__dirname, up, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'offload' && pkg.version) return pkg.version;
    } catch {
      // not at this depth
    }
  }
  return 'unknown';
}

const parsePlan = (value: string): Plan => {
  const plan = value.toUpperCase();
  if (!(PLANS as readonly string[]).includes(plan))
    throw new InvalidArgumentError(`must be one of ${PLANS.join(', ')}`);
  return plan as Plan;
};

/** `--monthly-limit N|none`: a number of cases a month, or no limit at all. */
const parseMonthlyLimit = (value: string): number | 'none' => {
  const text = value.trim().toLowerCase();
  if (text === 'none') return 'none';
  if (!/^\d{1,10}$/.test(text) || Number(text) >= 2_147_483_647)
    throw new InvalidArgumentError('must be a whole number of cases per month (0 to 2147483646), or none');
  return Number(text);
};

const admin = () => import('./admin.command.js');
const role = (name: 'serve' | 'api' | 'worker') => async () => (await import('./role.command.js')).runRole(name);

const program = new Command('offload')
  .description(
    'Offload: bounded email jobs with structured results.\n' +
      'Without DATABASE_URL every command uses an embedded PostgreSQL with its data in OFFLOAD_HOME (default .offload/).',
  )
  .version(version(), '-V, --version', 'print the version');
program.command('serve').description('API and worker in one process (what `npm start` runs)').action(role('serve'));
program.command('api').description('GraphQL, REST and inbound webhooks only (needs DATABASE_URL)').action(role('api'));
program.command('worker').description('Job processing only (needs DATABASE_URL)').action(role('worker'));
program
  .command('migrate')
  .description('Create the database if missing, apply migrations and the job schema')
  .action(async () => (await admin()).migrateCommand());
program
  .command('sweep')
  .description('Run the follow-up sweep once (and the CASE_RETENTION_DAYS erasure, when set)')
  .action(async () => (await admin()).sweepCommand());

const accounts = program.command('accounts').description('Manage accounts');
accounts
  .command('create')
  .description('Create an account; prints {"accountId","apiKey","plan","webhookSecret"}')
  .requiredOption('--name <name>', 'account name')
  .requiredOption('--plan <plan>', `one of ${PLANS.join(', ')}`, parsePlan)
  .option(
    '--monthly-limit <n|none>',
    "cases per month instead of the plan's cap, or none for no limit",
    parseMonthlyLimit,
  )
  .action(async (opts: { name: string; plan: Plan; monthlyLimit?: number | 'none' }) =>
    (await admin()).createAccountCommand(opts.name, opts.plan, opts.monthlyLimit),
  );
accounts
  .command('update')
  .description('Change an account; prints {"accountId","name","plan","monthlyLimit","unlimited"}')
  .argument('<idOrName>', 'account id or name (see `offload accounts list`)')
  .requiredOption(
    '--monthly-limit <n|none|plan>',
    "cases per month, none for no limit, plan for the plan's cap",
    (v) => (v.trim().toLowerCase() === 'plan' ? 'plan' : parseMonthlyLimit(v)),
  )
  .action(async (idOrName: string, opts: { monthlyLimit: number | 'none' | 'plan' }) =>
    (await admin()).updateAccountCommand(idOrName, opts.monthlyLimit),
  );
accounts
  .command('list')
  .description('One JSON line per account: id, name, plan, monthlyLimit, unlimited, createdAt, activeKeys')
  .action(async () => (await admin()).listAccountsCommand());

const keys = program.command('keys').description('Manage API keys');
keys
  .command('create')
  .description('A new API key for an account (printed once)')
  .requiredOption('--account <idOrName>', 'account id or name (see `offload accounts list`)')
  .action(async (opts: { account: string }) => (await admin()).createKeyCommand(opts.account));
keys
  .command('list')
  .description("One JSON line per key of an account: id, prefix, createdAt, revokedAt (keys themselves aren't stored)")
  .requiredOption('--account <idOrName>', 'account id or name')
  .action(async (opts: { account: string }) => (await admin()).listKeysCommand(opts.account));
keys
  .command('revoke')
  .description('Revoke an API key; exit code 1 when no live key matched')
  .argument('<keyOrId>', 'the API key itself, or its id')
  .action(async (keyOrId: string) => (await admin()).revokeKeyCommand(keyOrId));
program
  .command('emit-schema')
  .description('Write the GraphQL SDL to schema/schema.graphql')
  .option('--out <file>', 'output file', 'schema/schema.graphql')
  .action(async (opts: { out: string }) => {
    const [{ writeFile }, { printOffloadSchema }] = await Promise.all([
      import('node:fs/promises'),
      import('../graphql/graphql.schema.js'),
    ]);
    await writeFile(opts.out, await printOffloadSchema());
    progress(`wrote ${opts.out}`);
  });
program
  .command('demo')
  .description('One case end to end on a temporary database')
  .action(async () => (await import('./demo.command.js')).runDemoCommand(print, progress));

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof Error && EXPECTED_ERRORS.has(error.name)) progress(`offload: ${error.message}`);
  else progress(`offload: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
