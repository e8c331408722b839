// The account's suppression list: addresses Offload never mails again for that account. Filled automatically (a
// hard bounce, a complaint, a one-click unsubscribe, an SMS STOP) and by the
// client (suppressAddress). createCase refuses a suppressed address, and every send checks the list under the case
// lock just before the mail leaves, so a case already running to an address that becomes suppressed stops there.
import { z } from 'zod';
import { AppError, badField } from '../../domain/app.errors';
import {
  deleteSuppression,
  insertSuppression,
  isSuppressed,
  suppressionPage,
  type SuppressionRow,
  type SuppressionSource,
} from '../../persistence/suppressions.repository';
import type { Tx } from '../../persistence/transaction.types';
import { LIMITS, parseInput } from '../cases/case-input.schema';
import type { ServiceContext } from '../service.context';

export type { SuppressionRow, SuppressionSource };

export interface SuppressionPage {
  nodes: SuppressionRow[];
  cursors: string[];
  hasNextPage: boolean;
}

const MAX_PAGE = 100;

// An email address, or an SMS counterparty's E.164 number.
const addressSchema = z
  .union([z.email(), z.string().regex(/^\+[1-9]\d{1,14}$/)], 'must be a valid email address or an E.164 number')
  .refine((a) => a.length <= 320, 'must be at most 320 characters')
  .transform((a) => a.trim().toLowerCase());
const reasonSchema = z.string().max(LIMITS.reason).nullish();

/** createCase's refusal of an address on the list. */
export const counterpartySuppressed = (): AppError =>
  new AppError('COUNTERPARTY_SUPPRESSED', "counterparty.address is on the account's suppression list", {
    fields: [{ path: 'counterparty.address', message: 'is suppressed' }],
  });

/** The list's one spelling of an address: what createCase, the send path and the list compare. */
export const normalizeAddress = (address: string): string => address.trim().toLowerCase();

export class SuppressionService {
  constructor(private readonly ctx: Pick<ServiceContext, 'db' | 'clock' | 'logger'>) {}

  /**
   * Puts `address` on the account's list; false when it was there already. The entry point for every automatic
   * source, the SMS transport's STOP included (source 'sms_stop'); pass `manager` to write in the caller's
   * transaction.
   */
  async suppress(
    accountId: string,
    address: string,
    source: SuppressionSource,
    reason: string | null = null,
    options: { caseId?: string | null; manager?: Tx } = {},
  ): Promise<boolean> {
    const write = (manager: Tx) =>
      insertSuppression(manager, {
        accountId,
        address: normalizeAddress(address),
        source,
        reason: reason?.slice(0, LIMITS.reason) ?? null,
        caseId: options.caseId ?? null,
        createdAt: this.ctx.clock(),
      });
    const added = await (options.manager ? write(options.manager) : write(this.ctx.db.manager));
    if (added) this.ctx.logger.info({ accountId, source, caseId: options.caseId }, 'address suppressed');
    return added;
  }

  /** suppressAddress: the client's own entry. Returns true (the address is suppressed afterwards either way). */
  async suppressByClient(accountId: string, rawAddress: unknown, rawReason?: unknown): Promise<boolean> {
    const address = parseInput(addressSchema, rawAddress, 'address');
    const reason = parseInput(reasonSchema, rawReason, 'reason') ?? null;
    await this.suppress(accountId, address, 'manual', reason);
    return true;
  }

  /** unsuppressAddress: true when the address was on the list. */
  async unsuppress(accountId: string, rawAddress: unknown): Promise<boolean> {
    const address = parseInput(addressSchema, rawAddress, 'address');
    return deleteSuppression(this.ctx.db.manager, accountId, address);
  }

  isSuppressed(accountId: string, address: string): Promise<boolean> {
    return isSuppressed(this.ctx.db.manager, accountId, normalizeAddress(address));
  }

  async list(accountId: string, first: number, after: string | null): Promise<SuppressionPage> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE)
      throw badField('first', `must be an integer from 1 to ${MAX_PAGE}`);
    const rows = await suppressionPage(this.ctx.db.manager, accountId, first + 1, after ? decodeCursor(after) : null);
    const nodes = rows.slice(0, first);
    return { nodes, cursors: nodes.map(encodeCursor), hasNextPage: rows.length > first };
  }
}

const encodeCursor = (row: SuppressionRow): string =>
  Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.address])).toString('base64url');

function decodeCursor(cursor: string): { createdAt: Date; address: string } {
  try {
    const [at, address] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(at);
    if (Number.isNaN(createdAt.getTime()) || typeof address !== 'string') throw new Error();
    return { createdAt, address };
  } catch {
    throw badField('after', 'not a cursor returned by this API');
  }
}
