// createCases (GraphQL) and POST /cases/batch (REST): up to MAX_BATCH case inputs in one request, each validated and
// answered on its own, the month's cap shared exactly across the batch (and with concurrent creates), the cases
// written in one statement and their first jobs in another, in one transaction.
import { createHash } from 'node:crypto';
import { AppError, badField } from '../../domain/app.errors';
import { caseJobs, insertCaseJobs } from '../../jobs/job.catalog';
import { ConversationBusy, insertCases } from '../../persistence/case-insert.repository';
import { findCasesByIds, numbersWithOpenSmsCase } from '../../persistence/cases.repository';
import type { CaseEntity } from '../../persistence/entities';
import {
  claimBatchKey,
  findIdempotencyKey,
  isIdempotencyConflict,
} from '../../persistence/idempotency-keys.repository';
import { suppressedAmong } from '../../persistence/suppressions.repository';
import { giveBackUnits, reserveUnits, usageMonth, type UsageReservation } from '../../persistence/usage.repository';
import type { AuthenticatedAccount } from '../accounts/account.service';
import type { ServiceContext } from '../service.context';
import { counterpartySuppressed, normalizeAddress } from '../suppression/suppression.service';
import { idempotencyKeySchema, parseInput, type CreateCaseInput, type createCaseSchema } from './case-input.schema';
import { newCaseRow } from './case-row.mapper';
import { stableJson } from './case-values.mapper';

/** The most inputs one createCases call takes (SPEC §14). */
export const MAX_BATCH = 100;

/** Why one input of a batch made no case: the code createCase would have failed with, and the fields at fault. */
export interface CaseInputError {
  code: string;
  message: string;
  fields: string[];
}

/** One input's outcome, in input order: a case, or an error. */
export interface CaseBatchResult {
  index: number;
  case: CaseEntity | null;
  error: CaseInputError | null;
}

/** What a keyed batch stores with its key, so that a retry answers the same without creating anything. */
type StoredResult = { index: number; caseId: string } | { index: number; error: CaseInputError };

type Parsed = { index: number; input: CreateCaseInput; hash: string } | { index: number; error: CaseInputError };
type ValidInput = Extract<Parsed, { input: CreateCaseInput }>;

export class CaseBatchService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly schema: ReturnType<typeof createCaseSchema>,
  ) {}

  async createCases(account: AuthenticatedAccount, rawInputs: unknown, rawKey?: unknown): Promise<CaseBatchResult[]> {
    if (!Array.isArray(rawInputs)) throw badField('inputs', 'must be a list of case inputs');
    if (rawInputs.length > MAX_BATCH)
      throw badField('inputs', `must hold at most ${MAX_BATCH} inputs (got ${rawInputs.length})`);
    const key = parseInput(idempotencyKeySchema, rawKey, 'idempotencyKey') ?? null;
    const parsed = rawInputs.map((raw, index) => this.parse(raw, index));
    // Only a keyed request is ever compared with another one.
    const requestHash = key ? batchHash(parsed) : null;
    for (let attempt = 0; ; attempt++) {
      if (key) {
        const previous = await this.replay(account.id, key, requestHash!);
        if (previous) return previous;
      }
      try {
        return await this.create(account, parsed, key ? { key, requestHash: requestHash! } : null);
      } catch (error) {
        // Two requests with one key raced; the loser reads the winner's results on the next pass.
        if (isIdempotencyConflict(error) && attempt < 2) continue;
        // A concurrent create opened an SMS conversation this batch wanted; the next pass answers it as busy.
        if (error instanceof ConversationBusy && attempt < 2) continue;
        throw error;
      }
    }
  }

  private parse(raw: unknown, index: number): Parsed {
    try {
      const input = parseInput(this.schema, raw);
      return { index, input, hash: stableJson(input) };
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return { index, error: inputError(error) };
    }
  }

  private async create(
    account: AuthenticatedAccount,
    parsed: Parsed[],
    keyed: { key: string; requestHash: string } | null,
  ): Promise<CaseBatchResult[]> {
    const results: CaseBatchResult[] = parsed.map((p) => ({
      index: p.index,
      case: null,
      error: 'error' in p ? p.error : null,
    }));
    const valid = await this.withoutBusyNumbers(await this.withoutSuppressed(account.id, parsed, results), results);
    const now = this.ctx.clock();
    const usage: UsageReservation = { accountId: account.id, month: usageMonth(now), limit: account.monthlyLimit };
    const granted = await reserveUnits(this.ctx.db.manager, usage, valid.length);
    // Inputs are served in order: the first `granted` valid ones get the month's remaining units.
    for (const refused of valid.slice(granted)) results[refused.index]!.error = usageLimitError(account);
    const rows = valid.slice(0, granted).map((p) => {
      const row = newCaseRow(account, p.input, now);
      results[p.index]!.case = row;
      return row;
    });
    // A batch that made nothing claims no key: a retry is judged afresh, as a failed createCase is.
    if (!rows.length) return results;
    try {
      await this.ctx.db.transaction(async (manager) => {
        await insertCases(manager, rows);
        await insertCaseJobs(
          this.ctx,
          rows.map((row) => ({ job: caseJobs.created(row.id) })),
          manager,
        );
        if (keyed)
          await claimBatchKey(manager, {
            accountId: account.id,
            ...keyed,
            results: results.map(storedResult),
            expiresAt: new Date(now.getTime() + this.ctx.config.IDEMPOTENCY_TTL_HOURS * 3_600_000),
          });
      });
    } catch (error) {
      await giveBackUnits(this.ctx.db.manager, usage, rows.length);
      throw error;
    }
    this.ctx.changes.changed();
    return results;
  }

  /** The valid inputs whose counterparty is not on the account's suppression list; the others get their error. */
  private async withoutSuppressed(
    accountId: string,
    parsed: Parsed[],
    results: CaseBatchResult[],
  ): Promise<ValidInput[]> {
    const valid = parsed.filter((p): p is Extract<Parsed, { input: CreateCaseInput }> => 'input' in p);
    const pairs = valid.map((p) => ({ accountId, address: normalizeAddress(p.input.counterparty.address) }));
    const suppressed = await suppressedAmong(this.ctx.db.manager, pairs);
    return valid.filter((p, i) => {
      if (!suppressed.has(`${accountId} ${pairs[i]!.address.toLowerCase()}`)) return true;
      results[p.index]!.error = inputError(counterpartySuppressed());
      return false;
    });
  }

  /**
   * SPEC §13: one open SMS case per number. A number an open case texts, or one an earlier input of this batch
   * takes, is answered SMS_CONVERSATION_BUSY instead of failing the whole batch at the unique index.
   */
  private async withoutBusyNumbers(valid: ValidInput[], results: CaseBatchResult[]): Promise<ValidInput[]> {
    const sms = valid.filter((p) => p.input.channel === 'SMS').map((p) => p.input.counterparty.address);
    const taken = await numbersWithOpenSmsCase(this.ctx.db.manager, [...new Set(sms)]);
    return valid.filter((p) => {
      if (p.input.channel !== 'SMS') return true;
      const number = p.input.counterparty.address;
      if (!taken.has(number)) {
        taken.add(number);
        return true;
      }
      results[p.index]!.error = inputError(smsConversationBusy(number));
      return false;
    });
  }

  private async replay(accountId: string, key: string, requestHash: string): Promise<CaseBatchResult[] | null> {
    const found = await findIdempotencyKey(this.ctx.db.manager, accountId, key, this.ctx.clock());
    if (!found) return null;
    if (found.requestHash !== requestHash || !Array.isArray(found.results))
      throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This idempotencyKey was used with a different input');
    const stored = found.results as StoredResult[];
    const ids = stored.flatMap((r) => ('caseId' in r ? [r.caseId] : []));
    const cases = new Map((await findCasesByIds(this.ctx.db.manager, ids, accountId)).map((c) => [c.id, c]));
    return stored.map((r) => {
      if (!('caseId' in r)) return { index: r.index, case: null, error: r.error };
      const row = cases.get(r.caseId);
      // Erased since (deleteCase): it answers like a missing case, as everywhere else.
      if (!row)
        return { index: r.index, case: null, error: { code: 'CASE_NOT_FOUND', message: 'Case not found', fields: [] } };
      return { index: r.index, case: row, error: null };
    });
  }
}

/** SPEC §13: a text from a number is matched to its one open case, so a second one would make replies ambiguous. */
export const smsConversationBusy = (address: string): AppError =>
  new AppError(
    'SMS_CONVERSATION_BUSY',
    `counterparty.address ${address} already has an open SMS case with our number; wait for it to finish or cancel it`,
    { fields: [{ path: 'counterparty.address', message: 'has an open SMS case' }] },
  );

/** An input's refusal as createCases reports it, from the error createCase would throw. */
function inputError(error: AppError): CaseInputError {
  return { code: error.code, message: error.message, fields: (error.details.fields ?? []).map((f) => f.path) };
}

/** The refusal createCase and createCases give once the month's cap is used up. */
export const usageLimitMessage = (account: AuthenticatedAccount): string =>
  `This account (${account.plan} plan) allows ${account.monthlyLimit} cases per month`;

function usageLimitError(account: AuthenticatedAccount): CaseInputError {
  return {
    code: 'USAGE_LIMIT_REACHED',
    message: usageLimitMessage(account),
    fields: [],
  };
}

function storedResult(result: CaseBatchResult): StoredResult {
  return result.case ? { index: result.index, caseId: result.case.id } : { index: result.index, error: result.error! };
}

/**
 * One hash for the whole batch: each valid input as createCase hashes it (so key order and defaults do not matter),
 * each invalid one by its error, which is all that input can ever produce.
 */
function batchHash(parsed: Parsed[]): string {
  const parts = parsed.map((p) => ('input' in p ? p.hash : `invalid:${stableJson(p.error)}`));
  return createHash('sha256')
    .update(`batch\n${parts.join('\n')}`)
    .digest('hex');
}
