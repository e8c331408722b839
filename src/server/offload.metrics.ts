// Prometheus metrics: one registry per Offload instance (tests run several in one process), fed by observers the
// composition root hands to the worker, the agent, inbound mail and webhook delivery. Queue depth is read from
// pg-boss at scrape time, so it is right in every process whichever one did the work.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AgentCallHook } from '../agent/openai.agent';
import { QUEUES, type JobQueue } from '../jobs/job.catalog';
import type { InboundObserver } from '../services/inbound/inbound.service';
import type { WebhookObserver } from '../services/webhooks/webhook-delivery.service';
import type { WorkerObserver } from '../services/worker/case-job.service';
import type { Logger } from '../observability/logger.factory';

export interface OffloadMetrics {
  registry: Registry;
  /** Counts and logs what the case worker does. */
  observer(logger: Logger): WorkerObserver;
  onModelCall: AgentCallHook;
  inboundObserver(transport: string): InboundObserver;
  webhookObserver: WebhookObserver;
}

export function createMetrics(boss: JobQueue): OffloadMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'offload_' });
  const transitions = new Counter({
    name: 'offload_case_transitions_total',
    help: 'Case status transitions applied by the worker',
    labelNames: ['from', 'to', 'type'] as const,
    registers: [registry],
  });
  const refused = new Counter({
    name: 'offload_case_events_refused_total',
    help: 'Case events the state machine refused (stale or out-of-order jobs)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const duplicates = new Counter({
    name: 'offload_possible_duplicate_sends_total',
    help: 'Outbound mails re-attempted after an attempt that may have gone out',
    registers: [registry],
  });
  const mailSent = new Counter({
    name: 'offload_mail_sent_total',
    help: 'Outbound mails handed to the transport',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  const mailReceived = new Counter({
    name: 'offload_mail_received_total',
    help: 'Inbound mails stored on a case (duplicates not counted)',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  const modelLatency = new Histogram({
    name: 'offload_model_call_duration_seconds',
    help: 'Model calls (compose_message, evaluate_reply), by outcome',
    labelNames: ['call', 'model', 'ok'] as const,
    buckets: [0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    registers: [registry],
  });
  const modelTokens = new Counter({
    name: 'offload_model_tokens_total',
    help: 'Tokens reported by the model server',
    labelNames: ['call', 'model', 'kind'] as const,
    registers: [registry],
  });
  const webhookAttempts = new Counter({
    name: 'offload_webhook_attempts_total',
    help: 'Webhook delivery attempts: delivered, retrying (will be retried) or gave_up (no retry left)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'offload_queue_jobs',
    help: 'pg-boss jobs per queue and state (queued = ready + deferred, e.g. scheduled follow-ups, + blocked)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const { name } of Object.values(QUEUES)) {
        // pg-boss serves these from the counts its monitor caches, recounting only when they are stale.
        const [stats] = await boss.getQueueStats(name).catch(() => []);
        if (!stats) continue;
        this.set({ queue: name, state: 'queued' }, stats.queuedCount);
        this.set({ queue: name, state: 'ready' }, stats.readyCount);
        this.set({ queue: name, state: 'deferred' }, stats.deferredCount);
        this.set({ queue: name, state: 'active' }, stats.activeCount);
      }
    },
  });

  return {
    registry,
    observer: (logger) => ({
      transition(caseId, from, to, type) {
        transitions.inc({ from, to, type: type ?? 'none' });
        logger.info({ caseId, from, to, type }, 'case transition');
      },
      refused: (_caseId, reason) => refused.inc({ reason }),
      possibleDuplicateSend: () => duplicates.inc(),
      mailSent: (transport) => mailSent.inc({ transport }),
    }),
    onModelCall(info) {
      const labels = { call: info.name, model: info.model };
      modelLatency.observe({ ...labels, ok: String(info.ok) }, info.latencyMs / 1000);
      if (info.promptTokens !== null) modelTokens.inc({ ...labels, kind: 'prompt' }, info.promptTokens);
      if (info.completionTokens !== null) modelTokens.inc({ ...labels, kind: 'completion' }, info.completionTokens);
    },
    inboundObserver: (transport) => ({ stored: () => mailReceived.inc({ transport }) }),
    webhookObserver: { attempted: (outcome) => webhookAttempts.inc({ outcome }) },
  };
}
