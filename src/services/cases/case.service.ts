// The case operations the faces (GraphQL, REST) call. Every read and write is scoped to the caller's account:
// another account's case answers exactly like a missing one.
import { createHash } from 'node:crypto';
import { TERMINAL_STATUSES, UNLIMITED_REPORTED } from '../../domain/case.model';
import { AppError, caseNotFound } from '../../domain/app.errors';
import { cancelKey, caseJobs, enqueueCaseJob, sendCaseJob } from '../../jobs/job.catalog';
import { attachmentsOfCase } from '../../persistence/attachments.repository';
import { appendTimeline, loadTimeline } from '../../persistence/case-events.repository';
import {
  ConversationBusy,
  IdempotencyRace,
  UsageLimitReached,
  writeNewCase,
  type PipelinePool,
} from '../../persistence/case-insert.repository';
import { findCase, getCase, lockCase, saveCase } from '../../persistence/cases.repository';
import type { AttachmentEntity, CaseEntity, CaseEventEntity, MessageEntity } from '../../persistence/entities';
import { findIdempotencyKey } from '../../persistence/idempotency-keys.repository';
import { loadThread } from '../../persistence/messages.repository';
import { isSuppressed } from '../../persistence/suppressions.repository';
import { findUsage, usageMonth } from '../../persistence/usage.repository';
import { counterpartySuppressed, normalizeAddress } from '../suppression/suppression.service';
import type { AuthenticatedAccount } from '../accounts/account.service';
import { stableJson, withHumanContext } from './case-values.mapper';
import { newCaseRow } from './case-row.mapper';
import { CaseBatchService, smsConversationBusy, usageLimitMessage, type CaseBatchResult } from './case-batch.service';
import { applyTransition, DuplicateStep, type TransitionContext } from '../transitions/transition.service';
import {
  cancelReasonSchema,
  createCaseSchema,
  idempotencyKeySchema,
  isUuid,
  parseInput,
  submitInputSchema,
} from './case-input.schema';
import type { ServiceContext } from '../service.context';
import { listCases, type CaseFilter, type CasePage } from './case-list.service';

export interface Usage {
  plan: AuthenticatedAccount['plan'];
  /** The month's cap; UNLIMITED_REPORTED when there is none. */
  limit: number;
  unlimited: boolean;
  createdThisMonth: number;
  billableThisMonth: number;
}

export interface SubmitInputResult {
  caseId: string;
  inputRequestId: string;
  accepted: boolean;
}

export class CasesService {
  private readonly createSchema;
  private readonly batches: CaseBatchService;

  constructor(
    private readonly ctx: ServiceContext & TransitionContext,
    /** A pipeline-mode pool: a create is one round trip (case-insert.repository.ts). */
    private readonly writes: PipelinePool,
  ) {
    this.createSchema = createCaseSchema({
      allowPrivateWebhooks: ctx.config.WEBHOOK_ALLOW_PRIVATE,
      ownDomains: [ctx.config.MAIL_DOMAIN],
      ownAddresses: ctx.config.AGENTMAIL_INBOX_ID ? [ctx.config.AGENTMAIL_INBOX_ID] : [],
      ownNumbers: ctx.config.TWILIO_FROM ? [ctx.config.TWILIO_FROM] : [],
    });
    this.batches = new CaseBatchService(ctx, this.createSchema);
  }

  /** Up to 100 cases at once, each input answered on its own (case-batch.service.ts). */
  async createCases(account: AuthenticatedAccount, rawInputs: unknown, rawKey?: unknown): Promise<CaseBatchResult[]> {
    return this.batches.createCases(account, rawInputs, rawKey);
  }

  async createCase(account: AuthenticatedAccount, raw: unknown, rawKey?: unknown): Promise<CaseEntity> {
    const input = parseInput(this.createSchema, raw);
    const idempotencyKey = parseInput(idempotencyKeySchema, rawKey, 'idempotencyKey') ?? null;
    // Only a keyed request is ever compared with another one.
    const requestHash = idempotencyKey ? createHash('sha256').update(stableJson(input)).digest('hex') : null;
    const limit = account.monthlyLimit;
    for (let attempt = 0; ; attempt++) {
      if (idempotencyKey) {
        const previous = await this.findByIdempotencyKey(account.id, idempotencyKey, requestHash!);
        if (previous) return previous;
      }
      // A race with a suppression written right after this read is caught by the send path's check.
      if (await isSuppressed(this.ctx.db.manager, account.id, normalizeAddress(input.counterparty.address)))
        throw counterpartySuppressed();
      const now = this.ctx.clock();
      const row = newCaseRow(account, input, now);
      const ttlMs = this.ctx.config.IDEMPOTENCY_TTL_HOURS * 3_600_000;
      try {
        await writeNewCase(this.writes, {
          row,
          usage: { accountId: account.id, month: usageMonth(now), limit },
          idempotency: idempotencyKey
            ? { key: idempotencyKey, requestHash: requestHash!, expiresAt: new Date(now.getTime() + ttlMs) }
            : null,
          sendJob: (db) => sendCaseJob(this.ctx, db, caseJobs.created(row.id)),
        });
        return row;
      } catch (error) {
        if (error instanceof UsageLimitReached)
          throw new AppError('USAGE_LIMIT_REACHED', usageLimitMessage(account), { limit });
        if (error instanceof ConversationBusy) throw smsConversationBusy(input.counterparty.address);
        // Two requests with one key raced; the loser reads the winner's case on the next pass.
        if (error instanceof IdempotencyRace && attempt < 2) continue;
        throw error;
      }
    }
  }

  private async findByIdempotencyKey(accountId: string, key: string, requestHash: string): Promise<CaseEntity | null> {
    const found = await findIdempotencyKey(this.ctx.db.manager, accountId, key, this.ctx.clock());
    if (!found) return null;
    // A key a createCases batch claimed has no single case: this request cannot be the same as that one.
    if (found.requestHash !== requestHash || !found.caseId)
      throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This idempotencyKey was used with a different input');
    return getCase(this.ctx.db.manager, found.caseId, accountId);
  }

  async getCase(accountId: string, caseId: string): Promise<CaseEntity | null> {
    if (!isUuid(caseId)) return null;
    return findCase(this.ctx.db.manager, caseId, accountId);
  }

  async requireCase(accountId: string, caseId: string): Promise<CaseEntity> {
    const row = await this.getCase(accountId, caseId);
    if (!row) throw caseNotFound();
    return row;
  }

  async listCases(accountId: string, filter: CaseFilter, first: number, after: string | null): Promise<CasePage> {
    return listCases(this.ctx.db.manager, accountId, filter, first, after);
  }

  async usage(account: AuthenticatedAccount): Promise<Usage> {
    const used = await findUsage(this.ctx.db.manager, account.id, usageMonth(this.ctx.clock()));
    return {
      plan: account.plan,
      limit: account.monthlyLimit ?? UNLIMITED_REPORTED,
      unlimited: account.monthlyLimit === null,
      createdThisMonth: used.createdCount,
      billableThisMonth: used.billableCount,
    };
  }

  async submitInput(account: AuthenticatedAccount, raw: unknown): Promise<SubmitInputResult> {
    const input = parseInput(submitInputSchema, raw);
    if (!isUuid(input.caseId)) throw caseNotFound();
    return this.ctx.db
      .transaction(async (manager) => {
        const row = await lockCase(manager, input.caseId, account.id);
        if (!row) throw caseNotFound();
        if (row.status !== 'INPUT_NEEDED')
          throw new AppError('CASE_NOT_WAITING_FOR_INPUT', `The case is ${row.status}, not waiting for input`);
        if (row.inputRequestId !== input.inputRequestId)
          throw new AppError('INPUT_REQUEST_MISMATCH', "inputRequestId is not the case's active input request");
        if (row.inputRequestStatus !== 'PENDING')
          throw new AppError('INPUT_REQUEST_NOT_PENDING', `The input request is ${row.inputRequestStatus}`);
        const now = this.ctx.clock();
        row.inputRequestStatus = 'RESOLVED';
        row.goal = withHumanContext(row.goal, row.inputRequestQuestion, input.providedContext, now);
        row.updatedAt = now;
        await saveCase(manager, row);
        await appendTimeline(manager, row, {
          type: 'input.provided',
          fromStatus: row.status,
          toStatus: row.status,
          data: { inputRequestId: row.inputRequestId },
          occurredAt: now,
        });
        await enqueueCaseJob(this.ctx, manager, caseJobs.inputProvided(row.id, input.inputRequestId));
        return { caseId: row.id, inputRequestId: input.inputRequestId, accepted: true };
      })
      .finally(() => this.ctx.changes.changed());
  }

  /** A non-terminal case becomes FAILED/cancelled; cancelling a finished case returns it unchanged. */
  async cancelCase(account: AuthenticatedAccount, caseId: string, rawReason?: unknown): Promise<CaseEntity> {
    const reason = parseInput(cancelReasonSchema, rawReason, 'reason') || null;
    if (!isUuid(caseId)) throw caseNotFound();
    try {
      return await this.ctx.db.transaction(async (manager) => {
        const row = await lockCase(manager, caseId, account.id);
        if (!row) throw caseNotFound();
        if (TERMINAL_STATUSES.has(row.status)) return row;
        const event = { type: 'CANCEL_REQUESTED', reason } as const;
        await applyTransition(this.ctx, manager, row, event, cancelKey(row.id), this.ctx.clock());
        return row;
      });
    } catch (error) {
      if (error instanceof DuplicateStep) return this.requireCase(account.id, caseId);
      throw error;
    } finally {
      this.ctx.changes.changed();
    }
  }

  async timeline(caseId: string): Promise<CaseEventEntity[]> {
    return loadTimeline(this.ctx.db.manager, caseId);
  }

  async messages(caseId: string): Promise<MessageEntity[]> {
    return loadThread(this.ctx.db.manager, caseId);
  }

  async attachments(caseId: string): Promise<AttachmentEntity[]> {
    return attachmentsOfCase(this.ctx.db.manager, caseId);
  }
}

export type { CaseFilter, CasePage };
