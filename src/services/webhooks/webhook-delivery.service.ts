// One webhook attempt per job: send the stored body (signed with the account's current secret, so a rotation takes
// effect for retries), record the attempt, and either finish the delivery or schedule the next attempt as a new
// delayed job in the same transaction as the record. A crash between the POST and the record means one more attempt
// with the same webhook-id, which receivers deduplicate on.
import { randomUUID } from 'node:crypto';
import { enqueueWebhookJob } from '../../jobs/job.catalog';
import { isRetryableDelivery, nextAttemptDelayMs } from '../../webhooks/retry.policy';
import type { HostResolver } from '../../webhooks/safe-http.client';
import { deliverWebhook } from '../../webhooks/webhook.sender';
import type { WebhookDeliveryResult } from '../../webhooks/webhook-delivery.types';
import type { Tx } from '../../persistence/transaction.types';
import {
  findDeliveryToAttempt,
  insertAttempt,
  recordOutcome,
  type DeliveryToAttempt,
  type WebhookDeliveryStatus,
} from '../../persistence/webhook-deliveries.repository';
import type { ServiceContext } from '../service.context';

/** Told of every attempt this process recorded (metrics); a duplicate job that attempted nothing tells nothing. */
export interface WebhookObserver {
  attempted(outcome: 'delivered' | 'retrying' | 'gave_up'): void;
}

export interface WebhookDeliveryOptions {
  observer?: WebhookObserver;
  /** Tests play hostile DNS through this; production resolves with the system resolver. */
  resolver?: HostResolver;
  /** Jitter source, for tests that pin it. */
  random?: () => number;
}

/** A job may fire a little before its startAfter as another process's clock sees it. */
const EARLY_SLACK_MS = 1000;

const OUTCOMES = { DELIVERED: 'delivered', PENDING: 'retrying', FAILED: 'gave_up' } as const;

export class WebhookDeliveryService {
  constructor(
    private readonly ctx: Pick<ServiceContext, 'db' | 'boss' | 'config' | 'clock' | 'logger'>,
    private readonly options: WebhookDeliveryOptions = {},
  ) {}

  /** Makes the attempt that is due for `deliveryId`; a finished delivery or a stale job is a no-op. */
  async deliver(deliveryId: string): Promise<void> {
    const due = await this.loadDue(deliveryId);
    if (!due) return;
    const attemptedAt = this.ctx.clock();
    const result = await deliverWebhook({
      url: due.url,
      secret: due.webhook_secret,
      webhookId: due.event_id,
      timestamp: attemptedAt,
      body: due.payload,
      timeoutMs: this.ctx.config.WEBHOOK_TIMEOUT_MS,
      allowPrivate: this.ctx.config.WEBHOOK_ALLOW_PRIVATE,
      resolver: this.options.resolver,
    });
    const status = await this.ctx.db.transaction((manager) => this.record(manager, due, attemptedAt, result));
    if (status) this.options.observer?.attempted(OUTCOMES[status]);
  }

  private async loadDue(deliveryId: string): Promise<DeliveryToAttempt | null> {
    const due = await findDeliveryToAttempt(this.ctx.db.manager, deliveryId);
    if (!due || due.status !== 'PENDING') return null;
    // A pg-boss retry of an attempt that was already recorded: the scheduled job makes the next attempt, not this.
    const early = due.next_attempt_at && due.next_attempt_at.getTime() > this.ctx.clock().getTime() + EARLY_SLACK_MS;
    return early ? null : due;
  }

  private async record(
    manager: Tx,
    due: DeliveryToAttempt,
    attemptedAt: Date,
    result: WebhookDeliveryResult,
  ): Promise<WebhookDeliveryStatus | null> {
    const attemptNumber = due.attempt_count + 1;
    const nextAt = this.nextAttemptAt(attemptNumber, attemptedAt, result);
    const status: WebhookDeliveryStatus = result.ok ? 'DELIVERED' : nextAt ? 'PENDING' : 'FAILED';
    const now = this.ctx.clock();
    const outcome = { attemptCountRead: due.attempt_count, attemptNumber, status, nextAttemptAt: nextAt, now };
    // Another worker recorded this attempt number first (a duplicate job): its record stands.
    if (!(await recordOutcome(manager, due.id, outcome))) return null;
    await insertAttempt(manager, {
      id: randomUUID(),
      deliveryId: due.id,
      attemptNumber,
      attemptedAt,
      durationMs: result.durationMs,
      ok: result.ok,
      statusCode: result.statusCode,
      errorCode: result.error?.code ?? null,
      errorMessage: result.error?.message.slice(0, 1000) ?? null,
      responseSnippet: result.responseSnippet,
      retryAfterMs: result.retryAfterMs,
      nextAttemptAt: nextAt,
    });
    if (nextAt) await enqueueWebhookJob(this.ctx, manager, { deliveryId: due.id }, nextAt);
    this.ctx.logger.info(
      { caseId: due.case_id, deliveryId: due.id, attempt: attemptNumber, status, statusCode: result.statusCode },
      result.ok ? 'webhook delivered' : `webhook attempt failed: ${result.error?.message ?? 'unknown'}`,
    );
    return status;
  }

  /**
   * When to try again, or null to stop. OFFLOAD_TIME_SCALE divides these delays (Retry-After included) as it does
   * every other scheduled delay, so that demos and tests see the whole schedule in seconds.
   */
  private nextAttemptAt(attemptNumber: number, attemptedAt: Date, result: WebhookDeliveryResult): Date | null {
    if (result.ok || !isRetryableDelivery(result)) return null;
    const delay = nextAttemptDelayMs(attemptNumber, { retryAfterMs: result.retryAfterMs, random: this.options.random });
    if (delay === null) return null;
    return new Date(attemptedAt.getTime() + Math.round(delay / this.ctx.config.OFFLOAD_TIME_SCALE));
  }
}
