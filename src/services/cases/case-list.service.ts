// Keyset pagination of an account's cases, newest first (Relay connection semantics).
import type { DataSource } from 'typeorm';
import { CASE_STATUSES, type CaseStatus } from '../../domain/case.model';
import { AppError } from '../../domain/errors';
import { CaseEntity } from '../../persistence/entities';
import { clientReferenceFilterSchema, isUuid, parseInput } from './case-input.schema';

export interface CaseFilter {
  status?: CaseStatus[] | null;
  clientReferenceId?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
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
    const date = typeof at === 'string' ? new Date(at) : new Date(NaN);
    // A forged cursor must fail here, not as a cast error in the database (a uuid made of dashes, year 200000).
    if (!isStorableDate(date) || typeof id !== 'string' || !isUuid(id)) throw new Error();
    return [date, id];
  } catch {
    throw new AppError('BAD_USER_INPUT', 'after: not a cursor returned by this API', {
      fields: [{ path: 'after', message: 'not a cursor returned by this API' }],
    });
  }
}

/** Within what PostgreSQL's timestamptz holds and JavaScript prints as ISO 8601. */
const isStorableDate = (date: Date): boolean => {
  const year = date.getUTCFullYear();
  return !Number.isNaN(date.getTime()) && year >= 1 && year <= 9999;
};

/** Each status at most once: a list of 70,000 would otherwise become 70,000 bind parameters. */
function statusFilter(status: CaseStatus[] | null | undefined): CaseStatus[] {
  const unique = [...new Set(status ?? [])];
  const max = CASE_STATUSES.length;
  if ((status?.length ?? 0) > max)
    throw new AppError('BAD_USER_INPUT', `filter.status: at most ${max} entries, one per status`, {
      fields: [{ path: 'filter.status', message: `at most ${max} entries, one per status` }],
    });
  return unique;
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
  const status = statusFilter(filter.status);
  if (status.length) query.andWhere('c.status IN (:...status)', { status });
  const ref = parseInput(clientReferenceFilterSchema, filter.clientReferenceId, 'filter.clientReferenceId');
  if (ref) query.andWhere('c.client_reference_id = :ref', { ref });
  if (filter.createdAfter) query.andWhere('c.created_at > :createdAfter', { createdAfter: filter.createdAfter });
  if (filter.createdBefore) query.andWhere('c.created_at < :createdBefore', { createdBefore: filter.createdBefore });
  if (after) {
    const [at, id] = decodeCursor(after);
    query.andWhere('(c.created_at, c.id) < (:at, :id)', { at, id });
  }
  const rows = await query.getMany();
  const nodes = rows.slice(0, first);
  return { nodes, cursors: nodes.map(encodeCursor), hasNextPage: rows.length > first };
}
