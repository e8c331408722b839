// Keyset pagination of an account's cases, newest first (Relay connection semantics).
import type { DataSource } from 'typeorm';
import type { CaseStatus } from '../domain/case.model';
import { AppError } from '../domain/errors';
import { CaseEntity } from '../persistence/entities';
import { caseSearchWhere } from '../persistence/case-search.sql';
import { clientReferenceFilterSchema, parseInput } from './case-input.schema';
import { parseSearch } from './case-search';

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

function decodeCursor(cursor: string): [Date, string] {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(at);
    if (Number.isNaN(date.getTime()) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error();
    return [date, id];
  } catch {
    throw new AppError('BAD_USER_INPUT', 'after: not a cursor returned by this API', {
      fields: [{ path: 'after', message: 'not a cursor returned by this API' }],
    });
  }
}

export async function listCases(
  db: DataSource,
  accountId: string,
  filter: CaseFilter,
  first: number,
  after: string | null,
): Promise<CasePage> {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE)
    throw new AppError('BAD_USER_INPUT', `first: must be an integer from 1 to ${MAX_PAGE}`, {
      fields: [{ path: 'first', message: `must be an integer from 1 to ${MAX_PAGE}` }],
    });
  const query = db
    .getRepository(CaseEntity)
    .createQueryBuilder('c')
    .where('c.account_id = :accountId', { accountId })
    .orderBy('c.created_at', 'DESC')
    .addOrderBy('c.id', 'DESC')
    .limit(first + 1);
  if (filter.status?.length) query.andWhere('c.status IN (:...status)', { status: filter.status });
  const ref = parseInput(clientReferenceFilterSchema, filter.clientReferenceId, 'filter.clientReferenceId');
  if (ref) query.andWhere('c.client_reference_id = :ref', { ref });
  if (filter.createdAfter) query.andWhere('c.created_at > :createdAfter', { createdAfter: filter.createdAfter });
  if (filter.createdBefore) query.andWhere('c.created_at < :createdBefore', { createdBefore: filter.createdBefore });
  const search = parseSearch(filter.search);
  if (search) {
    const where = caseSearchWhere('c', search);
    query.andWhere(where.sql, where.params);
  }
  if (after) {
    const [at, id] = decodeCursor(after);
    query.andWhere('(c.created_at, c.id) < (:at, :id)', { at, id });
  }
  const rows = await query.getMany();
  const nodes = rows.slice(0, first);
  return { nodes, cursors: nodes.map(encodeCursor), hasNextPage: rows.length > first };
}
