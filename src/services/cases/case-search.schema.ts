// The dashboard's free-text search over an account's cases: one validated, length-capped string matched
// case-insensitively against the counterparty's address and name, the clientReferenceId and the objective.
import { z } from 'zod';
import { parseInput } from './case-input.schema';

/** Long enough for any address or objective fragment, short enough that a LIKE over it stays cheap. */
export const SEARCH_MAX = 200;

const searchSchema = z
  .string()
  .trim()
  .max(SEARCH_MAX, `must be at most ${SEARCH_MAX} characters`)
  .refine((value) => !value.includes('\u0000'), 'must not contain NUL characters')
  .nullish();

/** The search term to use, or null for none; throws BAD_USER_INPUT naming `filter.search` when it is unusable. */
export function parseSearch(value: unknown): string | null {
  const parsed = parseInput(searchSchema, value, 'filter.search');
  return parsed ? parsed : null;
}

/** The same match in memory, for subscriptions that carry a search filter. */
export function matchesSearch(
  c: {
    clientReferenceId?: string | null;
    goal: { objective: string };
    counterparty: { address: string; name: string };
  },
  search: string,
): boolean {
  const needle = search.trim().toLowerCase();
  if (!needle) return true;
  return [c.counterparty.address, c.counterparty.name, c.clientReferenceId ?? '', c.goal.objective].some((field) =>
    field.toLowerCase().includes(needle),
  );
}
