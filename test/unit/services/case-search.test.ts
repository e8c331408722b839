// The search filter's pieces that need no database: LIKE escaping, the in-memory match used by subscriptions, and
// the parse that caps and names the field.
import { caseSearchWhere, likeEscape } from '../../../src/persistence/case-search.sql';
import { matchesSearch, parseSearch, SEARCH_MAX } from '../../../src/services/cases/case-search.schema';

const vera = {
  clientReferenceId: 'PO-100_a',
  goal: { objective: 'Confirm the 50% deposit' },
  counterparty: { address: 'vera@vendor.example', name: 'Vera Vendor' },
};

it.each([
  ['50%', '50\\%'],
  ['a_b', 'a\\_b'],
  ['back\\slash', 'back\\\\slash'],
  ['plain', 'plain'],
])('escapes LIKE wildcards in %p', (input, escaped) => {
  expect(likeEscape(input)).toBe(escaped);
});

it('puts the term in a parameter, never in the statement', () => {
  const where = caseSearchWhere('c', "x' OR 1=1 --");
  expect(where.sql).not.toContain('OR 1=1');
  expect(where.params.search).toBe("%x' OR 1=1 --%");
  expect(where.sql.match(/ILIKE :search ESCAPE/g)).toHaveLength(4);
});

it.each([
  ['VENDOR.example', true],
  ['vera v', true],
  ['po-100_', true],
  ['50%', true],
  ['deposits', false],
])('matches %p in memory: %p', (search, expected) => {
  expect(matchesSearch(vera, search)).toBe(expected);
});

it('trims, treats blank as no search, and refuses an over-long term naming filter.search', () => {
  expect(parseSearch('  vera ')).toBe('vera');
  expect(parseSearch('   ')).toBeNull();
  expect(parseSearch(null)).toBeNull();
  expect(() => parseSearch('x'.repeat(SEARCH_MAX + 1))).toThrow(/filter\.search/);
});
