// A new case's row as createCase and createCases write it.
import { randomUUID } from 'node:crypto';
import { CaseEntity } from '../../persistence/entities';
import type { AuthenticatedAccount } from '../accounts/account.service';
import type { CreateCaseInput } from './case-input.schema';
import { newCaseSchedule } from './case-schedule.mapper';
import { stripNullish } from './case-values.mapper';

/** A new case as createCase writes it. */
export function newCaseRow(account: AuthenticatedAccount, input: CreateCaseInput, now: Date): CaseEntity {
  return Object.assign(new CaseEntity(), {
    id: randomUUID(),
    accountId: account.id,
    clientReferenceId: input.clientReferenceId ?? null,
    channel: input.channel,
    status: 'CREATED',
    goal: {
      objective: input.goal.objective,
      ...(input.goal.knowledge != null ? { knowledge: input.goal.knowledge } : {}),
    },
    counterparty: stripNullish(input.counterparty),
    senderPersona: stripNullish(input.senderPersona),
    constraints: input.constraints ?? null,
    resultSchema: input.resultSchema ?? null,
    metadata: input.metadata ?? null,
    clientWebhookUrl: input.clientWebhookUrl ?? null,
    attemptCount: 0,
    maxAttempts: input.maxAttempts ?? 3,
    followUpDelayHours: input.followUpDelayHours ?? 72,
    followUpCount: 0,
    replyCount: 0,
    heldSend: null,
    ...newCaseSchedule(input, now),
    resultStatus: null,
    result: null,
    failureReason: null,
    inputRequestId: null,
    inputRequestQuestion: null,
    inputRequestStatus: 'NONE',
    inputRequestedAt: null,
    awaitingEvaluation: false,
    threadRef: null,
    finishedAt: null,
    createdAt: now,
    updatedAt: now,
  });
}
