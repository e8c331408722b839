// An operator's monthly limit from the CLI (SPEC §14): `accounts create|update --monthly-limit N|none`, shown by
// `accounts list`, reported by Usage (limit, unlimited) and enforced by createCase; bad values are one line, exit 1.
import { CreateCaseDocument, GetUsageDocument } from '../../schema/generated/graphql';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { lines, runCli } from '../helpers/cli';
import { GraphQLClient } from '../helpers/graphql-client';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';

let database: TestDatabase;
let app: TestApp | undefined;
beforeAll(async () => {
  database = await createTestDatabase('cli-limit');
});
afterAll(async () => {
  await app?.stop();
  await database?.drop();
});

it('sets, lifts and restores an account monthly limit, and Usage and createCase follow it', async () => {
  const env = { DATABASE_URL: database.url };
  const created = await runCli(
    ['accounts', 'create', '--name', 'campaigner', '--plan', 'BASE_PRO', '--monthly-limit', 'none'],
    env,
  );
  expect(created.code).toBe(0);
  const account = JSON.parse(created.stdout) as { accountId: string; apiKey: string };
  expect(JSON.parse(created.stdout)).toMatchObject({ plan: 'BASE_PRO', monthlyLimit: null, unlimited: true });

  app = await startTestApp('cli-limit', { database, env: { AUTH_CACHE_SECONDS: '0' } });
  const client = new GraphQLClient(app.url, account.apiKey);
  expect((await client.ok(GetUsageDocument, {})).usage).toMatchObject({ limit: 2147483647, unlimited: true });

  const updated = await runCli(['accounts', 'update', 'campaigner', '--monthly-limit', '1'], env);
  expect(updated.code).toBe(0);
  expect(JSON.parse(updated.stdout)).toEqual({
    accountId: account.accountId,
    name: 'campaigner',
    plan: 'BASE_PRO',
    monthlyLimit: 1,
    unlimited: false,
  });
  expect((await client.ok(GetUsageDocument, {})).usage).toMatchObject({ limit: 1, unlimited: false });
  await client.ok(CreateCaseDocument, { input: caseInput() });
  expect(await client.errorCode(CreateCaseDocument, { input: caseInput() })).toBe('USAGE_LIMIT_REACHED');

  const listed = await runCli(['accounts', 'list'], env);
  expect(lines(listed.stdout).map((l) => JSON.parse(l) as unknown)).toContainEqual(
    expect.objectContaining({ id: account.accountId, monthlyLimit: 1, unlimited: false }),
  );

  expect((await runCli(['accounts', 'update', account.accountId, '--monthly-limit', 'none'], env)).code).toBe(0);
  await client.ok(CreateCaseDocument, { input: caseInput() });
  expect((await client.ok(GetUsageDocument, {})).usage).toMatchObject({ unlimited: true, createdThisMonth: 2 });

  // `plan` goes back to the plan's cap (BASE_PRO: 500).
  expect((await runCli(['accounts', 'update', 'campaigner', '--monthly-limit', 'plan'], env)).code).toBe(0);
  expect((await client.ok(GetUsageDocument, {})).usage).toMatchObject({ limit: 500, unlimited: false });
});

it('refuses a limit that is not a whole number or none, and an unknown account, in one line', async () => {
  const env = { DATABASE_URL: database.url };
  for (const bad of ['-5', '1.5', 'lots', '2147483647']) {
    const result = await runCli(['accounts', 'create', '--name', 'x', '--plan', 'PAYG', '--monthly-limit', bad], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--monthly-limit.*must be a whole number of cases per month/);
  }
  const unknown = await runCli(['accounts', 'update', 'nobody', '--monthly-limit', '5'], env);
  expect(unknown.code).toBe(1);
  expect(lines(unknown.stderr)).toEqual([
    'offload: account: no account with id or name "nobody" (see `offload accounts list`)',
  ]);
});
