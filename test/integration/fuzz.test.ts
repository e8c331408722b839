// Property-based fuzzing of the write paths (GraphQL createCase/submitInput/cancelCase, REST POST /cases and
// friends): no input makes a 500, and every case that is accepted obeys the validation rules as stored.
import fc from 'fast-check';
import { GetCaseDocument } from '../../schema/generated/graphql';
import {
  anyText,
  arbitraryInput,
  idempotencyKey,
  mismatches,
  nearValid,
  violations,
  type Stored,
} from '../helpers/case-input.fuzz';
import { GraphQLClient } from '../helpers/graphql-client';
import { startTestApp, type TestApp } from '../helpers/offload';

let app: TestApp;
let gqlAccount: { apiKey: string };
let restAccount: { apiKey: string };

beforeAll(async () => {
  // API only (no worker: the cases need not move) and private webhook URLs refused, as in production.
  app = await startTestApp('fuzz', { role: 'api', env: { WEBHOOK_ALLOW_PRIVATE: 'false' } });
  [gqlAccount, restAccount] = await Promise.all([app.newAccount(), app.newAccount()]);
});
afterAll(async () => app?.stop());

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 100_000);
const runs = (n: number) => ({ numRuns: n, seed: SEED, endOnFailure: true });

// ---- transport --------------------------------------------------------------------------------------------------
interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- whatever the server said
}

async function call(method: string, path: string, apiKey: string, payload?: unknown): Promise<Answer> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    ...(payload === undefined ? {} : { body: JSON.stringify(payload) ?? 'null' }),
  });
  const raw = await res.text();
  let body: unknown = raw;
  try {
    body = JSON.parse(raw);
  } catch {
    // A non-JSON answer fails the assertions below with the raw text in the message.
  }
  return { status: res.status, body };
}

const graphql = (query: string, variables: Record<string, unknown>) =>
  call('POST', '/graphql', gqlAccount.apiKey, { query, variables });

const CREATE =
  'mutation Create($input: CreateCaseInput!, $key: String) { createCase(input: $input, idempotencyKey: $key) { id } }';

function expectNoServerError(answer: Answer, sent: unknown): void {
  const errors: Array<{ extensions?: { code?: unknown } }> = answer.body?.errors ?? [];
  const masked = errors.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR');
  if (answer.status >= 500 || masked || typeof answer.body !== 'object')
    throw new Error(
      `server error for ${JSON.stringify({ sent, status: answer.status, body: answer.body }).slice(0, 2_000)}`,
    );
}

/** Reads the case back through GraphQL and checks it independently of the schema that accepted it. */
async function expectValidStoredCase(apiKey: string, id: string, sent: Stored): Promise<void> {
  const { case: stored } = await new GraphQLClient(app.url, apiKey).ok(GetCaseDocument, { id });
  expect(stored).toBeTruthy();
  expect([...violations(stored as Stored), ...mismatches(sent, stored as Stored)]).toEqual([]);
}

// ---- properties -------------------------------------------------------------------------------------------------
describe(`fuzz (seed ${SEED}; rerun with FUZZ_SEED=${SEED})`, () => {
  it('GraphQL createCase: near-valid inputs never make a 500, and what is accepted is valid as stored', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(nearValid, idempotencyKey, async (input, key) => {
        const answer = await graphql(CREATE, { input, key });
        expectNoServerError(answer, input);
        const id = answer.body?.data?.createCase?.id as string | undefined;
        if (id) accepted += 1;
        if (id) await expectValidStoredCase(gqlAccount.apiKey, id, input);
        else expect(answer.body.errors?.[0]?.extensions?.code).toMatch(/^(BAD_USER_INPUT|IDEMPOTENCY_KEY_REUSED)$/);
      }),
      runs(200),
    );
    // Guards the generator: a fuzz that never gets a case accepted would check nothing about accepted cases.
    if (process.env.OFFLOAD_TEST_VERBOSE) console.log(`accepted ${accepted} of 200`);
    expect(accepted).toBeGreaterThanOrEqual(20);
  }, 120_000);

  it('GraphQL createCase: arbitrary values never make a 500', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryInput, async (input) => {
        const answer = await graphql(CREATE, { input });
        expectNoServerError(answer, input);
        expect(answer.body?.data?.createCase ?? null).toBeNull();
      }),
      runs(75),
    );
  }, 60_000);

  it('GraphQL submitInput, cancelCase and cases(filter): arbitrary values never make a 500', async () => {
    const id = fc.oneof(fc.uuid(), anyText(40));
    await fc.assert(
      fc.asyncProperty(
        id,
        id,
        anyText(10_000),
        fc.option(anyText(1_000)),
        anyText(255),
        async (caseId, inputRequestId, providedContext, reason, ref) => {
          for (const [query, variables] of [
            [
              'mutation S($i: SubmitInputInput!) { submitInput(input: $i) { accepted } }',
              { i: { caseId, inputRequestId, providedContext } },
            ],
            ['mutation C($id: ID!, $r: String) { cancelCase(id: $id, reason: $r) { id } }', { id: caseId, r: reason }],
            ['query L($ref: String) { cases(filter: { clientReferenceId: $ref }) { edges { cursor } } }', { ref }],
            ['query G($id: ID!) { case(id: $id) { id } }', { id: caseId }],
          ] as const) {
            expectNoServerError(await graphql(query, variables), variables);
          }
        },
      ),
      runs(40),
    );
  }, 60_000);

  it('REST POST /cases: near-valid and arbitrary bodies never make a 500, and what is accepted is valid', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(nearValid, arbitraryInput), async (input) => {
        const answer = await call('POST', '/cases', restAccount.apiKey, input);
        expectNoServerError(answer, input);
        expect([201, 400]).toContain(answer.status);
        if (answer.status === 201) {
          const caseId = answer.body?.data?.caseId ?? answer.body?.caseId;
          expect((await call('GET', `/cases/${caseId}`, restAccount.apiKey)).status).toBe(200);
          await expectValidStoredCase(restAccount.apiKey, caseId, input as Stored);
        }
      }),
      runs(100),
    );
  }, 120_000);

  it('REST GET /cases/{id} and POST /cases/{id}/input: arbitrary ids and bodies never make a 500', async () => {
    const segment = fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent));
    await fc.assert(
      fc.asyncProperty(segment, fc.anything({ maxDepth: 2 }), async (id, body) => {
        for (const answer of [
          await call('GET', `/cases/${id}?includeTranscript=true`, restAccount.apiKey),
          await call('POST', `/cases/${id}/input`, restAccount.apiKey, body),
          await call('GET', `/cases/${id}/attachments/${id}`, restAccount.apiKey),
        ])
          expectNoServerError(answer, { id, body });
      }),
      runs(40),
    );
  }, 60_000);
});
