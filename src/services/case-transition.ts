// The one place a case changes: lock, decide, save the row, its timeline row, its usage and its jobs, in one
// transaction. Worker steps and API mutations (cancel) both come through here.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { CaseEvent } from '../domain/case.events';
import { isBillable, isTerminal } from '../domain/case.model';
import { decide, type Transition } from '../domain/case.machine';
import type { CaseEntity } from '../persistence/entities';
import { applyState, appendTimeline, claimJobKey, saveCase, toState, usageMonth } from './case-store';
import { enqueueEffects, type QueuedSend, type WebhookOutbox } from './case-effects';
import type { ServiceContext } from './service-context';

export type TransitionContext = Pick<ServiceContext, 'boss' | 'config'> & { webhooks?: WebhookOutbox };

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
  manager: EntityManager,
  row: CaseEntity,
  event: CaseEvent,
  key: string,
  now: Date,
  extra: (row: CaseEntity) => void = () => {},
): Promise<AppliedTransition> {
  if (!(await claimJobKey(manager, key, row.id))) throw new DuplicateStep(key);
  const transition = decide(toState(row), event, { now, timeScale: ctx.config.OFFLOAD_TIME_SCALE, newId: randomUUID });
  if (!transition.ok) return { ...transition, sends: [] };

  const fromStatus = row.status;
  const wasTerminal = isTerminal(fromStatus);
  applyState(row, transition.next);
  extra(row);
  row.updatedAt = now;
  if (!wasTerminal && isTerminal(row.status)) {
    row.finishedAt = now;
    if (isBillable(row.status, row.resultStatus)) await countBillable(manager, row.accountId, now);
  }
  await saveCase(manager, row);
  if (transition.timelineType) {
    await appendTimeline(manager, row, {
      type: transition.timelineType,
      fromStatus,
      toStatus: row.status,
      data: transition.data ?? null,
      occurredAt: now,
    });
  }
  const sends = await enqueueEffects(ctx, manager, row, transition.effects, key, now);
  return { ...transition, sends };
}

async function countBillable(manager: EntityManager, accountId: string, at: Date): Promise<void> {
  await manager.query(
    `INSERT INTO account_usage (account_id, month, billable_count) VALUES ($1, $2, 1)
     ON CONFLICT (account_id, month) DO UPDATE SET billable_count = account_usage.billable_count + 1`,
    [accountId, usageMonth(at)],
  );
}
