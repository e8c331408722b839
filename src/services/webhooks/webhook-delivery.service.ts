// One webhook attempt per job: send the stored body (signed with the account's current secret, so a rotation takes
// effect for retries), record the attempt, and either finish the delivery or schedule the next attempt as a new
// delayed job in the same transaction as the record. A crash between the POST and the record means one more attempt
// with the same webhook-id, which receivers deduplicate on.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { bossDb } from '../../jobs/boss';
import { QUEUES } from '../../jobs/job.catalog';
import { isRetryableDelivery, nextAttemptDelayMs } from '../../webhooks/retry.policy';
import type { HostResolver } from '../../webhooks/safe-http';
import { deliverWebhook, type WebhookDeliveryResult } from '../../webhooks/webhook.deliver';
import type { ServiceContext } from '../service.context';

export type WebhookDeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';

export interface WebhookDeliveryOptions {
  /** Tests play hostile DNS through this; production resolves with the system resolver. */
  resolver?: HostResolver;
  /** Jitter source, for tests that pin it. */
  random?: () => number;
}

interface DueDelivery {
  id: string;
  case_id: string;
  event_id: string;
  url: string;
  payload: string;
  status: WebhookDeliveryStatus;
  attempt_count: number;
  next_attempt_at: Date | null;
  webhook_secret: string;
}

/** A job may fire a little before its startAfter as another process's clock sees it. */
const EARLY_SLACK_MS = 1000;

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
    await this.ctx.db.transaction((manager) => this.record(manager, due, attemptedAt, result));
  }

  private async loadDue(deliveryId: string): Promise<DueDelivery | null> {
    const rows: DueDelivery[] = await this.ctx.db.query(
      `SELECT d.id, d.case_id, d.event_id, d.url, d.payload, d.status, d.attempt_count, d.next_attempt_at,
              a.webhook_secret
         FROM webhook_deliveries d JOIN accounts a ON a.id = d.account_id
        WHERE d.id = $1`,
      [deliveryId],
    );
    const due = rows[0];
    if (!due || due.status !== 'PENDING') return null;
    // A pg-boss retry of an attempt that was already recorded: the scheduled job makes the next attempt, not this.
    const early = due.next_attempt_at && due.next_attempt_at.getTime() > this.ctx.clock().getTime() + EARLY_SLACK_MS;
    return early ? null : due;
  }

  private async record(
    manager: EntityManager,
    due: DueDelivery,
    attemptedAt: Date,
    result: WebhookDeliveryResult,
  ): Promise<void> {
    const attemptNumber = due.attempt_count + 1;
    const nextAt = this.nextAttemptAt(attemptNumber, attemptedAt, result);
    const status: WebhookDeliveryStatus = result.ok ? 'DELIVERED' : nextAt ? 'PENDING' : 'FAILED';
    const now = this.ctx.clock();
    const claimed: unknown[] = await manager.query(
      `UPDATE webhook_deliveries
          SET attempt_count = $3, status = $4, next_attempt_at = $5, updated_at = $6,
              delivered_at = CASE WHEN $4 = 'DELIVERED' THEN $6 ELSE delivered_at END
        WHERE id = $1 AND attempt_count = $2 RETURNING id`,
      [due.id, due.attempt_count, attemptNumber, status, nextAt, now],
    );
    // Another worker recorded this attempt number first (a duplicate job): its record stands.
    if (!claimed.length) return;
    await manager.query(
      `INSERT INTO webhook_delivery_attempts (id, delivery_id, attempt_number, attempted_at, duration_ms, ok,
         status_code, error_code, error_message, response_snippet, retry_after_ms, next_attempt_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        randomUUID(),
        due.id,
        attemptNumber,
        attemptedAt,
        result.durationMs,
        result.ok,
        result.statusCode,
        result.error?.code ?? null,
        result.error?.message.slice(0, 1000) ?? null,
        result.responseSnippet,
        result.retryAfterMs,
        nextAt,
      ],
    );
    if (nextAt) {
      await this.ctx.boss.send(
        QUEUES.webhooks.name,
        { deliveryId: due.id },
        { db: bossDb(manager), startAfter: nextAt },
      );
    }
    this.ctx.logger.info(
      { caseId: due.case_id, deliveryId: due.id, attempt: attemptNumber, status, statusCode: result.statusCode },
      result.ok ? 'webhook delivered' : `webhook attempt failed: ${result.error?.message ?? 'unknown'}`,
    );
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
