// Issue 20, item 4: the worst documents one can build under the caps (tokens, validation budget) cost little CPU
// to parse, check and validate with every rule the server runs. Each shape below aims at a super-linear path in
// graphql-js's validation (OverlappingFieldsCanBeMerged above all); each must stay under ~20 ms.
import { parse, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { buildOffloadSchema } from '../../src/graphql/graphql.schema';
import { QUERY_LIMITS } from '../../src/graphql/security/operation.limits';
import { introspectionDisabledRule, shapeRules } from '../../src/graphql/security/validation.rules';
import { checkValidationBudget, VALIDATION_BUDGET } from '../../src/graphql/security/validation-budget.guard';
import { report } from './attack.helpers';

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildOffloadSchema();
});

const rules = [...specifiedRules, ...shapeRules(), introspectionDisabledRule()];
const B = VALIDATION_BUDGET;
const times = (n: number, f: (i: number) => string, sep = ' ') => Array.from({ length: n }, (_, i) => f(i)).join(sep);

/** CPU milliseconds (user + system) of what the server does with `query` before executing it; the median of 5. */
function cpuMs(query: string): { ms: number; refusedBy: string | null } {
  const runs: number[] = [];
  let refusedBy: string | null = null;
  for (let i = 0; i < 5; i++) {
    const start = process.cpuUsage();
    const document = parse(query, { maxTokens: QUERY_LIMITS.maxTokens, noLocation: true });
    const budget = checkValidationBudget(document);
    refusedBy = budget ? String(budget.extensions.limit) : null;
    if (!budget) validate(schema, document, rules);
    const used = process.cpuUsage(start);
    runs.push((used.user + used.system) / 1000);
  }
  runs.sort((a, b) => a - b);
  return { ms: runs[2]!, refusedBy };
}

const caseFields = 'id status attemptCount createdAt updatedAt';
const FRAGMENTS = Math.min(B.maxFragments, Math.floor((B.maxFields - 1) / 11));
const SHAPES: Record<string, string> = {
  // The attack of the issue: 1,200 copies of one field (refused by the budget).
  'issue: usage{plan} x1200': `{ ${times(1200, () => 'usage { plan }')} }`,
  // As many copies as the repeat cap allows, under many aliases, each with a sub-selection repeated as often.
  'repeats at the cap, aliased, nested': `{ ${times(
    Math.floor(B.maxFields / (B.maxRepeats * (1 + B.maxRepeats * (1 + B.maxRepeats)))),
    (i) =>
      times(
        B.maxRepeats,
        () =>
          `a${i}: case(id: "x") { ${times(B.maxRepeats, () => `messages { ${times(B.maxRepeats, () => 'id')} }`)} }`,
      ),
  )} }`,
  // Every fragment the budget allows, each selecting the same fields, all spread in one selection set.
  // (11 fields each: as many as the field cap leaves room for.)
  'fragments at the cap, all overlapping': `query { case(id: "x") { ${times(FRAGMENTS, (i) => `...F${i}`)} } } ${times(
    FRAGMENTS,
    (i) => `fragment F${i} on Case { ${caseFields} messages { id text } timeline { id type } }`,
  )}`,
  // A chain of fragments each spreading the next twice: exponential if expanded naively.
  'fragment chain': `query { case(id: "x") { ...F0 } } ${times(
    B.maxFragments,
    (i) => `fragment F${i} on Case { id status ${i + 1 < B.maxFragments ? `...F${i + 1} ...F${i + 1}` : ''} }`,
  )}`,
  // The most fields the budget allows, in the widest sets it allows, distinct names.
  'fields at the cap': `{ ${times(
    Math.floor(B.maxFields / (B.maxSelections + 2)),
    (i) => `c${i}: cases(first: 1) { edges { node { ${times(B.maxSelections - 1, (j) => `f${j}: id`)} } } }`,
  )} }`,
  // Deeply nested selections (depth is capped in validation too).
  'deep nesting': `{ ${'case(id: "x") { messages { id } '.repeat(1)}${'cases { edges { node { '.repeat(20)}id${' } } }'.repeat(20)} } }`,
};

describe('validation cost of the worst documents under the caps', () => {
  it.each(Object.entries(SHAPES).slice(1))('%s passes the budget and costs under 20 ms of CPU', (name, query) => {
    const { ms, refusedBy } = cpuMs(query);
    expect(refusedBy).toBeNull();
    report(`validation: ${name}: ${ms.toFixed(2)} ms CPU${refusedBy ? ` (refused: ${refusedBy})` : ''}`);
    expect(ms).toBeLessThan(20);
  });

  it('the issue document is refused by the budget before validation, in under 20 ms of CPU', () => {
    const { ms, refusedBy } = cpuMs(SHAPES['issue: usage{plan} x1200']!);
    report(`validation: issue: usage{plan} x1200: ${ms.toFixed(2)} ms CPU (refused: ${refusedBy})`);
    expect(refusedBy).toBe('selections');
    expect(ms).toBeLessThan(20);
  });

  it('an ordinary operation passes the budget', () => {
    const ordinary = parse(
      `query { cases(first: 20) { edges { cursor node { ${caseFields} messages { id text } } } } }`,
    );
    expect(checkValidationBudget(ordinary)).toBeNull();
  });
});
