// The case as the state machine sees it: plain data, no framework types.
import type { SendPurpose } from './evaluation.types';
import type { SendWindow } from './send-window.policy';

export const CASE_STATUSES = ['CREATED', 'RUNNING', 'INPUT_NEEDED', 'COMPLETED', 'FAILED'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<CaseStatus> = new Set<CaseStatus>(['COMPLETED', 'FAILED']);
export const isTerminal = (status: CaseStatus): boolean => TERMINAL_STATUSES.has(status);

export const INPUT_REQUEST_STATUSES = ['PENDING', 'RESOLVED', 'NONE'] as const;
export type InputRequestStatus = (typeof INPUT_REQUEST_STATUSES)[number];

export const CHANNELS = ['EMAIL', 'SMS'] as const;
export type Channel = (typeof CHANNELS)[number];

export const PLANS = ['SANDBOX', 'PAYG', 'BASE_PRO'] as const;
export type Plan = (typeof PLANS)[number];

/** Monthly case cap per plan (seed "Usage Limits"). */
export const PLAN_LIMITS: Readonly<Record<Plan, number>> = { SANDBOX: 100, PAYG: 100, BASE_PRO: 500 };

/** What `Usage.limit` (an Int) reports for an account with no monthly limit: the largest 32-bit integer. */
export const UNLIMITED_REPORTED = 2_147_483_647;

/**
 * An account's monthly cap: the operator's own number when set (`accounts update --monthly-limit`), none at all
 * (null) when the operator lifted it, else its plan's.
 */
export function monthlyCap(plan: Plan, custom: { monthlyLimit: number | null; unlimited: boolean }): number | null {
  if (custom.unlimited) return null;
  return custom.monthlyLimit ?? PLAN_LIMITS[plan];
}

/**
 * resultStatus values this implementation produces. The reference treats resultStatus as an open set and mixes
 * lowercase workflow outcomes with uppercase provider-delivery outcomes; we keep its spelling exactly.
 */
export const RESULT_STATUS = {
  goalAchieved: 'goal_achieved',
  maxRetries: 'max_retries',
  failedRejected: 'failed_rejected',
  cancelled: 'cancelled',
  bounced: 'BOUNCED',
  complained: 'COMPLAINED',
  rejected: 'REJECTED',
  /** The address is on the account's suppression list: nothing more is sent (billable, like any workflow end). */
  suppressed: 'suppressed',
  /** The counterparty used the one-click unsubscribe of one of the case's mails. */
  unsubscribed: 'unsubscribed',
  /** The counterparty texted STOP (or Twilio refused the number as unsubscribed, error 21610). */
  optedOut: 'opted_out',
} as const;

/** Failures that are the provider's verdict on delivery, not the workflow's: not billable (seed "Usage Limits"). */
export const NON_BILLABLE_RESULT_STATUSES: ReadonlySet<string> = new Set([
  RESULT_STATUS.bounced,
  RESULT_STATUS.rejected,
  RESULT_STATUS.complained,
]);

export const isBillable = (status: CaseStatus, resultStatus: string | null): boolean =>
  status === 'COMPLETED' || (status === 'FAILED' && !NON_BILLABLE_RESULT_STATUSES.has(resultStatus ?? ''));

export interface InputRequestState {
  id: string;
  question: string;
  status: 'PENDING' | 'RESOLVED';
  requestedAt: Date;
}

/** The fields of a case that the state machine reads and may change. */
export interface CaseState {
  status: CaseStatus;
  attemptCount: number;
  maxAttempts: number;
  followUpDelayHours: number;
  nextActionAt: Date | null;
  resultStatus: string | null;
  result: unknown;
  failureReason: string | null;
  inputRequest: InputRequestState | null;
  /** A reply arrived after our last evaluation and has not been evaluated yet. */
  awaitingEvaluation: boolean;
  /** Automated follow-ups since the counterparty's last message (their message resets it); maxAttempts caps it. */
  followUpCount: number;
  /** In-thread replies sent (purpose `reply`); maxReplies caps them, then the case asks its human. */
  replyCount: number;
  maxReplies: number;
  /** When mail may leave; null: any time. */
  sendWindow: SendWindow | null;
  /** A message that was due while the window was shut: it leaves at nextActionAt (the next opening). */
  heldSend: HeldSend | null;
}

export interface HeldSend {
  purpose: SendPurpose;
  replyBody: string | null;
}
