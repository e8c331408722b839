// The one place a case changes: lock, decide, save the row, its timeline row, its usage and its jobs, in one
// transaction. Worker steps and API mutations (cancel) both come through here.
import { randomUUID } from 'node:crypto';
import type { CaseEvent } from '../../domain/case-event.types';
import { isBillable, isTerminal } from '../../domain/case.model';
import { decide, type Transition } from '../../domain/case.machine';
import type { SendJob } from '../../jobs/job.catalog';
import type { CaseEntity } from '../../persistence/entities';
import type { Tx } from '../../persistence/transaction.types';
import { applyState, toState } from './case-state.mapper';
import {
  DuplicateSteps,
  recordEffects,
  TransitionWrites,
  type QueuedSend,
  type WebhookOutbox,
} from './transition.writer';
import type { ServiceContext } from '../service.context';

export type TransitionContext = Pick<ServiceContext, 'boss' | 'config'> & { webhooks: WebhookOutbox };

export class DuplicateStep extends Error {
  override readonly name = 'DuplicateStep';
}

/** A transition, and the sends it queued (which the worker may run right after the commit). */
export type AppliedTransition = Transition & { sends: QueuedSend[] };

/**
 * Applies `event` to a case whose row the caller has locked in `manager`'s transaction. `key` claims the step:
 * if it was already applied, DuplicateStep is thrown so the caller rolls back and skips.
 */
export async function applyTransition(
  ctx: TransitionContext,
  manager: Tx,
  row: CaseEntity,
  event: CaseEvent,
  key: string,
  now: Date,
  extra: (row: CaseEntity) => void = () => {},
): Promise<AppliedTransition> {
  const writes = new TransitionWrites();
  // Claimed with the writes (one statement fewer); a duplicate rolls back whatever was decided.
  writes.claim(key, row.id);
  const applied = recordTransition(ctx, writes, row, event, key, now, extra);
  try {
    await writes.flush(ctx, manager);
  } catch (error) {
    if (error instanceof DuplicateSteps) throw new DuplicateStep(key);
    throw error;
  }
  return applied;
}

/**
 * Decides `event` for a locked case whose step key is claimed, applies the result to the row and records the
 * writes in `writes` (the caller flushes them). `takeSend` may take a requested send over (see recordEffects).
 */
export function recordTransition(
  ctx: TransitionContext,
  writes: TransitionWrites,
  row: CaseEntity,
  event: CaseEvent,
  key: string,
  now: Date,
  extra: (row: CaseEntity) => void = () => {},
  takeSend?: (job: SendJob) => boolean,
): AppliedTransition {
  const transition = decide(toState(row), event, { now, timeScale: ctx.config.OFFLOAD_TIME_SCALE, newId: randomUUID });
  if (!transition.ok) return { ...transition, sends: [] };

  const fromStatus = row.status;
  const wasTerminal = isTerminal(fromStatus);
  applyState(row, transition.next);
  extra(row);
  row.updatedAt = now;
  if (!wasTerminal && isTerminal(row.status)) {
    row.finishedAt = now;
    if (isBillable(row.status, row.resultStatus)) writes.countBillable(row.accountId, now);
  }
  writes.saveCase(row);
  if (transition.timelineType) {
    writes.appendTimeline(row, {
      type: transition.timelineType,
      fromStatus,
      toStatus: row.status,
      data: transition.data ?? null,
      occurredAt: now,
    });
  }
  const sends = recordEffects(writes, row, transition.effects, key, now, takeSend);
  return { ...transition, sends };
}
