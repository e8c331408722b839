// The dashboard's backend: cases.filter.search (case-insensitive, wildcards taken literally, capped) and caseStats
// (every status counted, the last 30 days of cases by outcome).
import {
  CancelCaseDocument,
  CreateCaseDocument,
  GetCaseStatsDocument,
  ListCasesDocument,
} from '../../schema/generated/graphql';
import { caseInput, startTestApp, type TestApp } from '../helpers/offload';

let app: TestApp;
const ids: Record<string, string> = {};

beforeAll(async () => {
  app = await startTestApp('case-search', { env: { AGENT: 'rules', OFFLOAD_TIME_SCALE: '1' } });
  const inputs = {
    vera: caseInput({ clientReferenceId: 'PO-100_a', followUpDelayHours: 8760 }),
    olga: caseInput({
      goal: { objective: 'Confirm the 50% deposit' },
      counterparty: { address: 'olga@supplier.example', name: 'Olga Ortiz' },
      followUpDelayHours: 8760,
    }),
  };
  for (const [name, input] of Object.entries(inputs))
    ids[name] = (await app.client.ok(CreateCaseDocument, { input })).createCase.id;
  await app.client.ok(CancelCaseDocument, { id: ids.olga! });
}, 30_000);
afterAll(async () => app?.stop());

const search = async (text: string) =>
  (await app.client.ok(ListCasesDocument, { filter: { search: text }, first: 10 })).cases.edges.map((e) => e.node.id);

it('matches counterparty address and name, clientReferenceId and objective, ignoring case', async () => {
  expect(await search('SUPPLIER.example')).toEqual([ids.olga]);
  expect(await search('ortiz')).toEqual([ids.olga]);
  expect(await search('po-100')).toEqual([ids.vera]);
  expect(await search('w-9')).toEqual([ids.vera]);
  expect((await search('  ')).sort()).toEqual([ids.olga, ids.vera].sort());
});

it('takes LIKE wildcards literally', async () => {
  expect(await search('%')).toEqual([ids.olga]);
  expect(await search('0_a')).toEqual([ids.vera]);
  expect(await search('_')).toEqual([ids.vera]);
  expect(await search("'; DROP TABLE cases; --")).toEqual([]);
});

it('refuses an over-long search with BAD_USER_INPUT naming filter.search', async () => {
  const result = await app.client.request(ListCasesDocument, { filter: { search: 'x'.repeat(201) } });
  expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  expect(result.errors?.[0]?.message).toContain('filter.search');
});

it('counts every status and the last 30 days by outcome', async () => {
  const { caseStats } = await app.client.ok(GetCaseStatsDocument, {});
  expect(caseStats.total).toBe(2);
  expect(caseStats.byStatus.map((s) => s.status)).toEqual([
    'CREATED',
    'RUNNING',
    'INPUT_NEEDED',
    'COMPLETED',
    'FAILED',
  ]);
  expect(caseStats.byStatus.find((s) => s.status === 'FAILED')?.count).toBe(1);
  expect(caseStats.perDay).toHaveLength(30);
  const today = caseStats.perDay.at(-1)!;
  expect(today.day).toBe(new Date().toISOString().slice(0, 10));
  expect([today.failed, today.open, today.completed]).toEqual([1, 1, 0]);
  expect(caseStats.perDay.slice(0, -1).every((d) => d.failed + d.open + d.completed === 0)).toBe(true);
});
