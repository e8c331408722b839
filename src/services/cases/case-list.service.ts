// Keyset pagination of an account's cases, newest first (Relay connection semantics).
import type { CaseStatus } from '../../domain/case.model';
import { badField } from '../../domain/app.errors';
import { listCases as listCaseRows } from '../../persistence/cases.repository';
import type { CaseEntity } from '../../persistence/entities';
import type { Tx } from '../../persistence/transaction.types';
import { clientReferenceFilterSchema, parseInput } from './case-input.schema';
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
    const date = new Date(at);
    if (Number.isNaN(date.getTime()) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error();
    return { createdAt: date, id };
  } catch {
    throw badField('after', 'not a cursor returned by this API');
  }
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
    status: filter.status,
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
