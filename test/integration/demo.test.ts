// A newcomer's first commands: `offload demo` (the built CLI, as `npm run demo` runs it) plays a whole case and
// leaves nothing behind, and the typed-client example in examples/ finishes a case against a running Offload.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { runExample } from '../../examples/typed-client';
import { testServerUrl } from '../helpers/database';
import { startTestApp } from '../helpers/offload';

const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');
const SERVER_URL = testServerUrl();

function runCli(args: string[], env: Record<string, string>) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
}

async function databaseExists(name: string): Promise<boolean> {
  const client = new Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return ((await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

it('`offload demo` creates a case, shows the outreach, the live transitions and the result, then cleans up', async () => {
  const databaseUrl = new URL(SERVER_URL);
  databaseUrl.pathname = '/offload';
  const { code, stdout, stderr } = await runCli(['demo'], { DATABASE_URL: databaseUrl.toString(), LOG_LEVEL: 'info' });
  expect({ code, stderr }).toMatchObject({ code: 0 });
  const lines = stdout.split('\n');
  const index = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));

  expect(index(/^1\. Created case [0-9a-f-]{36}: "Collect a signed W-9 from the vendor" \(CREATED\)$/)).toBe(0);
  expect(index(/^2\. Offload emailed vera@vendor\.example from Sam <case-[0-9a-f]+@offload\.localhost>:$/)).toBe(
    index(/live: CREATED -> RUNNING\s+outreach\.sent$/) + 1,
  );
  expect(index(/^\s+Subject: .*W-9/)).toBeGreaterThan(0);
  expect(index(/^3\. Vera replies: "Here is the signed W-9/)).toBeGreaterThan(0);
  expect(index(/live: RUNNING -> COMPLETED\s+case\.completed$/)).toBeGreaterThan(index(/^3\. /));
  expect(lines[index(/^4\. /)]).toBe('4. Result: COMPLETED / goal_achieved {"received":true}');
  // Few and readable: no JSON log lines on stdout, whatever LOG_LEVEL says.
  expect(lines.filter((line) => line.startsWith('{'))).toEqual([]);
  expect(lines.length).toBeLessThan(25);

  const database = /temporary database \((offload_demo_[0-9a-f]+)\)/.exec(stderr)?.[1];
  expect(database).toBeDefined();
  expect(stderr).toMatch(/ready in [\d.]+ s/);
  expect(await databaseExists(database!)).toBe(false);
});

it('the typed-client example finishes a case over fetch and graphql-ws', async () => {
  const app = await startTestApp('example');
  try {
    const log: string[] = [];
    const outcome = await runExample({ url: app.url, apiKey: app.apiKey, playReply: true, log: (l) => log.push(l) });
    expect(outcome.status).toBe('COMPLETED');
    expect(log).toContain('result: goal_achieved {"confirmed":true}');
    expect(log.some((line) => /^update #\d+: case\.completed -> COMPLETED$/.test(line))).toBe(true);
  } finally {
    await app.stop();
  }
});
