// docs/openapi.yaml is a contract clients generate code from, so it must pass the tools they use: Redocly's linter,
// swagger-parser's validator, and openapi-typescript + openapi-fetch, whose client must type a real create with a
// resultSchema (objects as open records, defaults optional, the 201 envelope's data present) and run it here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import createClient from 'openapi-fetch';
import type { paths } from '../../schema/rest/openapi';
import { startTestApp, type TestApp } from '../helpers/offload';

const ROOT = path.resolve(__dirname, '../..');
const SPEC = path.join(ROOT, 'docs/openapi.yaml');

const node = (script: string, args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'node_modules', script), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });

it('passes @redocly/cli lint with no error or warning', () => {
  const result = node('@redocly/cli/bin/cli.js', ['lint', SPEC, '--format', 'stylish']);
  expect({ status: result.status, out: result.status === 0 ? '' : result.stdout + result.stderr }).toEqual({
    status: 0,
    out: '',
  });
  expect(result.stdout + result.stderr).not.toMatch(/warning/i);
});

it('is a valid OpenAPI document for @apidevtools/swagger-parser', async () => {
  const api = (await SwaggerParser.validate(SPEC)) as { openapi?: string; paths?: Record<string, unknown> };
  expect(api.openapi).toBe('3.1.0');
  expect(Object.keys(api.paths ?? {})).toContain('/cases');
});

it('schema/rest/openapi.ts is what openapi-typescript generates from it (npm run codegen:rest)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'offload-openapi-'));
  try {
    const out = path.join(dir, 'openapi.ts');
    const result = node('openapi-typescript/bin/cli.js', [SPEC, '--default-non-nullable=false', '-o', out]);
    expect(result.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(path.join(ROOT, 'schema/rest/openapi.ts'), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('a client generated from it', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('openapi');
  });
  afterAll(async () => app?.stop());

  it('types and runs a create with resultSchema, metadata and knowledge, then reads the case back', async () => {
    const client = createClient<paths>({ baseUrl: app.url, headers: { 'x-api-key': app.apiKey } });
    const created = await client.POST('/cases', {
      body: {
        channel: 'EMAIL',
        goal: { objective: 'Collect a signed W-9', knowledge: { vendorId: 'V-17', notes: ['net 30'] } },
        counterparty: { address: 'vera@vendor.example', name: 'Vera' },
        senderPersona: { name: 'Sam' },
        resultSchema: { type: 'object', properties: { received: { type: 'boolean' } }, required: ['received'] },
        metadata: { ticket: 42, tags: ['w9'] },
        // maxAttempts and followUpDelayHours have defaults, so they may be left out.
      },
    });
    if (!created.data)
      throw new Error(`POST /cases answered ${created.response.status}: ${JSON.stringify(created.error)}`);
    expect(created.response.status).toBe(201);
    // `data` is required in the 201 envelope: no optional chaining needed (type-checked by `npm run typecheck`).
    const caseId: string = created.data.data.caseId;
    expect(caseId).toMatch(/^[0-9a-f-]{36}$/);

    const read = await client.GET('/cases/{id}', { params: { path: { id: caseId } } });
    if (!read.data) throw new Error(`GET /cases/{id} answered ${read.response.status}`);
    const schema: Record<string, unknown> | undefined = read.data.data.resultSchema;
    expect(schema).toMatchObject({ required: ['received'] });
    expect(read.data.data.goal.knowledge).toEqual({ vendorId: 'V-17', notes: ['net 30'] });
  });

  it('rejects wrong shapes at compile time', () => {
    // Never called: these lines are assertions for the type checker, which fails `npm test` if any compiles.
    const wrong = (client: ReturnType<typeof createClient<paths>>) => [
      client.POST('/cases', {
        body: {
          channel: 'EMAIL',
          goal: { objective: 'x' },
          counterparty: { address: 'a@b.example', name: 'A' },
          senderPersona: { name: 'S' },
          // @ts-expect-error resultSchema is an object, not a string
          resultSchema: 'a schema',
        },
      }),
      client.POST('/cases', {
        // @ts-expect-error senderPersona is required
        body: { channel: 'EMAIL', goal: { objective: 'x' }, counterparty: { address: 'a', name: 'A' } },
      }),
    ];
    expect(typeof wrong).toBe('function');
  });
});
