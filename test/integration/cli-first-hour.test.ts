// A newcomer's first hour with the CLI: a start with no PostgreSQL configured (the embedded server, its data kept
// across restarts and shared with commands run beside `serve`), and one plain line, exit code 1, for each mistake
// one makes early: a server that is not there, a split role without DATABASE_URL, a taken PORT, a bad SWEEP_CRON,
// an unknown account.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { lines, runCli } from '../helpers/cli';
import { spawnOffload } from '../helpers/process';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('without DATABASE_URL', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'offload-home-'));
  });
  afterAll(async () => rm(home, { recursive: true, force: true }));
  const env = () => ({ DATABASE_URL: '', OFFLOAD_HOME: home, PORT: '0', HOST: '127.0.0.1' });

  it('serve runs on an embedded PostgreSQL in OFFLOAD_HOME, commands beside it join it, and data survives a restart', async () => {
    const first = spawnOffload('serve', env());
    try {
      const database = await first.waitFor(/^Database: /, 60_000);
      expect(database).toMatch(/^Database: embedded PostgreSQL \d+\.\d+ on 127\.0\.0\.1:\d+, data in .*postgres/);
      if (process.getuid?.() === 0) expect(database).toMatch(/running as system user \w+, since PostgreSQL refuses/);
      const banner = await first.waitFor(/is up: /);
      expect(banner).toMatch(
        /^Offload serve is up: GraphQL http:\/\/127\.0\.0\.1:\d+\/graphql · dashboard http:\/\/127\.0\.0\.1:\d+\/ /,
      );
      expect(first.output.filter((l) => l.startsWith('Database: '))).toHaveLength(1);
      // stdout (the key) and stderr (the banner) are separate pipes: either may arrive first.
      const key = JSON.parse(await first.waitFor(/^\{"accountId"/)) as { accountId: string };

      // A command run while serve is up uses serve's server: a second postmaster on the same data could not start.
      const listed = await runCli(['accounts', 'list'], env());
      expect(listed).toMatchObject({ code: 0, stderr: '' });
      expect(lines(listed.stdout).map((l) => JSON.parse(l) as { id: string; name: string })).toEqual([
        expect.objectContaining({ id: key.accountId, name: 'dev', activeKeys: 1 }),
      ]);
      const pid = Number((await readFile(path.join(home, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
      expect(alive(pid)).toBe(true);
      expect(await first.kill('SIGTERM')).toBe(0);
      // serve started the server, so serve stops it.
      expect(alive(pid)).toBe(false);
    } finally {
      await first.kill('SIGKILL');
    }

    const second = spawnOffload('serve', env());
    try {
      await second.waitFor(/is up: /, 60_000);
      expect(await second.kill('SIGTERM')).toBe(0);
      // The dev account from the first start is still there, so no new key is printed (checked once the process
      // has exited, so all of its output is in).
      expect(second.output.some((l) => l.startsWith('{"accountId"'))).toBe(false);
    } finally {
      await second.kill('SIGKILL');
    }
  });

  it.each(['api', 'worker'])('%s asks for DATABASE_URL in one line', async (role) => {
    const result = await runCli([role], env());
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^offload: DATABASE_URL: required by \`offload ${role}\``)),
    ]);
  });
});

describe('mistakes made early', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('cli');
  });
  afterAll(async () => database?.drop());

  it('an unreachable DATABASE_URL is one line naming it and host:port', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const port = (probe.address() as { port: number }).port;
        probe.close(() => resolve(port));
      });
    });
    const result = await runCli(['serve'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/offload` });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      `offload: Cannot connect to PostgreSQL at 127.0.0.1:${closed}/offload (DATABASE_URL): connection refused (is PostgreSQL running there?). Unset DATABASE_URL to use the embedded PostgreSQL instead.`,
    ]);
  });

  it('a taken PORT is one line naming PORT', async () => {
    const taken: Server = await new Promise((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => resolve(server));
    });
    try {
      const port = (taken.address() as { port: number }).port;
      const result = await runCli(['serve'], { DATABASE_URL: database.url, PORT: String(port), HOST: '127.0.0.1' });
      expect(result.code).toBe(1);
      expect(lines(result.stderr)).toEqual([
        `offload: PORT ${port} is already in use on 127.0.0.1 (another Offload?): stop that process or set PORT to a free port`,
      ]);
    } finally {
      taken.close();
    }
  });

  it('a bad SWEEP_CRON says it is not a cron expression', async () => {
    const result = await runCli(['serve'], { DATABASE_URL: database.url, SWEEP_CRON: 'every hour' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/SWEEP_CRON: not a cron expression/);
  });

  it('a lost key: accounts list, keys create and keys list by account name; an unknown account is one line', async () => {
    const env = { DATABASE_URL: database.url };
    const created = await runCli(['accounts', 'create', '--name', 'acme', '--plan', 'PAYG'], env);
    expect(created.code).toBe(0);
    const account = JSON.parse(created.stdout) as { accountId: string };

    const listed = await runCli(['accounts', 'list'], env);
    expect(lines(listed.stdout).map((l) => JSON.parse(l) as unknown)).toContainEqual(
      expect.objectContaining({ id: account.accountId, name: 'acme', plan: 'PAYG', activeKeys: 1 }),
    );
    const key = await runCli(['keys', 'create', '--account', 'acme'], env);
    expect(JSON.parse(key.stdout)).toMatchObject({
      accountId: account.accountId,
      apiKey: expect.stringMatching(/^ofk_/),
    });
    const keys = await runCli(['keys', 'list', '--account', account.accountId], env);
    const rows = lines(keys.stdout).map((l) => JSON.parse(l) as { prefix: string; revokedAt: null });
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => /^ofk_/.test(r.prefix) && r.revokedAt === null)).toBe(true);

    for (const bad of ['not-an-id', '00000000-0000-0000-0000-000000000000']) {
      const result = await runCli(['keys', 'create', '--account', bad], env);
      expect(result.code).toBe(1);
      expect(lines(result.stderr)).toEqual([
        `offload: account: no account with id or name "${bad}" (see \`offload accounts list\`)`,
      ]);
    }
  });
});

describe('help and version', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(path.resolve(__dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    const result = await runCli(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('every command and subcommand has --help, answered without loading the application', async () => {
    const commands = [
      [],
      ['serve'],
      ['api'],
      ['worker'],
      ['migrate'],
      ['sweep'],
      ['accounts'],
      ['accounts', 'create'],
      ['accounts', 'update'],
      ['accounts', 'list'],
      ['keys'],
      ['keys', 'create'],
      ['keys', 'list'],
      ['keys', 'revoke'],
      ['emit-schema'],
      ['demo'],
    ];
    for (const command of commands) {
      const result = await runCli([...command, '--help']);
      expect({ command, code: result.code }).toEqual({ command, code: 0 });
      expect(result.stdout).toContain(`Usage: offload${command.length ? ` ${command.join(' ')}` : ''}`);
    }
    const top = await runCli(['--help']);
    for (const name of ['serve', 'accounts', 'keys', 'demo']) expect(top.stdout).toContain(name);
  });
});
