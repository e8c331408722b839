// Keyset pagination of an account's cases, newest first (Relay connection semantics).
import { CASE_STATUSES, type CaseStatus } from '../../domain/case.model';
import { badField } from '../../domain/app.errors';
import { listCases as listCaseRows } from '../../persistence/cases.repository';
import type { CaseEntity } from '../../persistence/entities';
import type { Tx } from '../../persistence/transaction.types';
import { clientReferenceFilterSchema, isUuid, parseInput } from './case-input.schema';
import { parseSearch } from './case-search.schema';

export interface CaseFilter {
  status?: CaseStatus[] | null;
  clientReferenceId?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  search?: string | null;
}

export interface CasePage {
  nodes: CaseEntity[];
  cursors: string[];
  hasNextPage: boolean;
}

export const MAX_PAGE = 100;

const encodeCursor = (row: CaseEntity): string =>
  Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = typeof at === 'string' ? new Date(at) : new Date(NaN);
    // A forged cursor must fail here, not as a cast error in the database (a uuid made of dashes, year 200000).
    if (!isStorableDate(date) || typeof id !== 'string' || !isUuid(id)) throw new Error();
    return { createdAt: date, id };
  } catch {
    throw badField('after', 'not a cursor returned by this API');
  }
}

/** Within what PostgreSQL's timestamptz holds and JavaScript prints as ISO 8601. */
const isStorableDate = (date: Date): boolean => {
  const year = date.getUTCFullYear();
  return !Number.isNaN(date.getTime()) && year >= 1 && year <= 9999;
};

/** Each status at most once: a list of 70,000 would otherwise become 70,000 bind parameters. */
function statusFilter(status: CaseStatus[] | null | undefined): CaseStatus[] {
  const max = CASE_STATUSES.length;
  if ((status?.length ?? 0) > max) throw badField('filter.status', `at most ${max} entries, one per status`);
  return [...new Set(status ?? [])];
}

export async function listCases(
  db: Tx,
  accountId: string,
  filter: CaseFilter,
  first: number,
  after: string | null,
): Promise<CasePage> {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE)
    throw badField('first', `must be an integer from 1 to ${MAX_PAGE}`);
  const ref = parseInput(clientReferenceFilterSchema, filter.clientReferenceId, 'filter.clientReferenceId');
  const rows = await listCaseRows(db, {
    accountId,
    status: statusFilter(filter.status),
    clientReferenceId: ref,
    createdAfter: filter.createdAfter,
    createdBefore: filter.createdBefore,
    search: parseSearch(filter.search),
    after: after ? decodeCursor(after) : null,
    limit: first + 1,
  });
  const nodes = rows.slice(0, first);
  return { nodes, cursors: nodes.map(encodeCursor), hasNextPage: rows.length > first };
}
