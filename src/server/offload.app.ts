// The composition root: builds every service from the configuration and starts the roles asked for.
import type { AgentCallHook } from '../agent/openai.agent';
import { ModelUsageService } from '../services/cases/model-usage.service';
import { createAgent } from '../agent/agent.factory';
import { smsSized } from '../agent/sms-length.policy';
import type { Agent } from '../agent/agent.types';
import { requireDatabaseUrl, type Config } from '../config/env.config';
import { buildOffloadSchema } from '../graphql/graphql.schema';
import { startBoss } from '../jobs/boss.client';
import { startWorkers, type Workers } from '../jobs/job-handler.registry';
import type { JobQueue } from '../jobs/job.catalog';
import type { MailTransport } from '../mail/mail.types';
import type { DNSResolver } from '../mail/mail-auth.guard';
import { createDataSource, createPipelinePool, ensureDatabase, migrate } from '../persistence/data-source.factory';
import type { Database } from '../persistence/transaction.types';
import { AccountsService } from '../services/accounts/account.service';
import { AttachmentLinks, loadSigningSecret } from '../services/attachments/attachment-link.signer';
import { AttachmentsService } from '../services/attachments/attachment.service';
import { CaseFeed } from '../services/feed/case-feed.service';
import { FeedResume } from '../services/feed/feed-resume.service';
import { CaseWorker } from '../services/worker/case-job.service';
import { CasesService } from '../services/cases/case.service';
import { InboundService } from '../services/inbound/inbound.service';
import type { Clock, ServiceContext } from '../services/service.context';
import type { Services } from '../services/service.registry';
import { CaseStatsService } from '../services/cases/case-stats.service';
import { startHttp, type HttpServer } from './http.server';
import {
  applyMailRate,
  createMailTransport,
  createSmsTransport,
  mountMailRoutes,
  mountSmsRoutes,
  providerAttachmentLinks,
} from './mail.wiring';
import { createChannelTransport } from '../mail/channel.transport';
import { SmsInboundService } from '../services/inbound/sms-inbound.service';
import { createWebhookWiring } from './webhook.wiring';
import { closeWebhookAgents } from '../webhooks/safe-http.client';
import { restRoutes } from '../rest/rest.routes';
import { unsubscribeRoutes } from '../rest/unsubscribe.routes';
import { CaseErasureService } from '../services/cases/case-erasure.service';
import { SuppressionService } from '../services/suppression/suppression.service';
import { UnsubscribeService } from '../services/suppression/unsubscribe.service';
import { UnsubscribeLinks } from '../services/suppression/unsubscribe-link.signer';
import { createLogger, type Logger } from '../observability/logger.factory';
import { createMetrics, type OffloadMetrics } from './offload.metrics';
import { createReadiness, opsRoutes, startOpsServer } from './ops.routes';
import { SharedLimiter } from '../services/limits/shared-limiter.service';
import { ModelGate } from '../services/limits/model-gate.service';
import { SharedKeyRateLimit } from '../services/accounts/key-rate.service';
import { listenForRevokedKeys, type RevocationListener } from '../persistence/key-revocation.repository';

export type Role = 'serve' | 'api' | 'worker';

export interface OffloadOptions {
  role: Role;
  clock?: Clock;
  logger?: Logger;
  /** Tests and benchmarks swap adapters at the edge; the rest of the wiring stays real. */
  agent?: Agent;
  transport?: MailTransport;
  /** The SMS transport (default: from SMS_TRANSPORT). */
  smsTransport?: MailTransport;
  /** DNS for SPF/DKIM/DMARC checks of inbound SMTP mail (tests pass fixed records). */
  dnsResolver?: DNSResolver;
}

export interface Offload {
  config: Config;
  db: Database;
  boss: JobQueue;
  services: Services;
  mail: MailTransport;
  http: HttpServer | null;
  url: string;
  metrics: OffloadMetrics;
  /** Where the worker role serves /healthz, /readyz and /metrics (null for the other roles, or if PORT was taken). */
  opsUrl: string | null;
  stop(): Promise<void>;
}

/** Creates the database if needed, applies migrations and pg-boss's schema. */
export async function prepareDatabase(config: Config, logger?: Logger): Promise<Database> {
  const databaseUrl = requireDatabaseUrl(config);
  if (await ensureDatabase(databaseUrl)) logger?.info('created database');
  const db = createDataSource(databaseUrl, config.DATABASE_POOL_MAX);
  await db.initialize();
  const ran = await migrate(db);
  for (const name of ran) logger?.info({ migration: name }, 'applied migration');
  return db;
}

export async function startOffload(config: Config, options: OffloadOptions): Promise<Offload> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const clock = options.clock ?? (() => new Date());
  const databaseUrl = requireDatabaseUrl(config);
  const db = await prepareDatabase(config, logger);
  const writes = createPipelinePool(databaseUrl, config.DATABASE_POOL_MAX);
  // An idle connection that dies (a database restart) is dropped by the pool; unhandled, the event would crash us.
  writes.on('error', (error) => logger.warn({ err: error }, 'idle database connection lost'));
  const runsWorker = options.role !== 'api';
  const runsApi = options.role !== 'worker';
  const boss = await startBoss(databaseUrl, { schedule: runsWorker, poolMax: config.JOB_POOL_MAX });

  let publicUrl = config.publicUrl;
  const feed = new CaseFeed(db, logger, { databaseUrl });
  const ctx: ServiceContext = { db, boss, config, clock, logger, changes: feed };
  const metrics = createMetrics(boss);
  const webhooks = createWebhookWiring(ctx, metrics.webhookObserver);
  const transitions = { ...ctx, webhooks: webhooks.outbox };
  const signingSecret = await loadSigningSecret(db, config.SIGNING_SECRET);
  const unsubscribeLinks = new UnsubscribeLinks(signingSecret, () => publicUrl, config.MAIL_DOMAIN);
  const links = new AttachmentLinks(signingSecret, () => publicUrl, config.ATTACHMENT_URL_TTL_SECONDS, clock);
  // Shared by every worker process through provider_limits: model calls and, with MAIL_RATE_PER_MINUTE, sends.
  const limiter = new SharedLimiter(db);
  const stopLimits = new AbortController();
  // A send waits for its slot holding its send lock's connection; two connections of the mail limiter's own keep
  // the reservations moving however many sends wait (on the main pool, waiting sends could hold every connection).
  const mailLimitsDb = config.MAIL_RATE_PER_MINUTE ? createDataSource(databaseUrl, 2) : null;
  await mailLimitsDb?.initialize();
  const mail = applyMailRate(
    options.transport ?? createMailTransport(config, logger, options.dnsResolver),
    config,
    mailLimitsDb ? new SharedLimiter(mailLimitsDb) : limiter,
    stopLimits.signal,
  );
  // The worker sends through one transport; each message goes out through its case's channel's.
  const transport = createChannelTransport(mail, options.smsTransport ?? createSmsTransport(config));
  const inbound = new InboundService(ctx, metrics.inboundObserver(mail.name));
  const services: Services = {
    accounts: new AccountsService(db, config.AUTH_CACHE_SECONDS),
    cases: new CasesService(transitions, writes),
    attachments: new AttachmentsService(db, links, providerAttachmentLinks(mail)),
    inbound,
    sms: new SmsInboundService(transitions, inbound),
    feed,
    feedResume: new FeedResume(feed, db, clock, {
      hours: config.FEED_RESUME_HOURS,
      updates: config.FEED_RESUME_UPDATES,
    }),
    webhooks: webhooks.records,
    webhookEndpoints: webhooks.endpoints,
    stats: new CaseStatsService(db, clock),
    modelUsage: new ModelUsageService(ctx),
    suppressions: new SuppressionService(ctx),
    erasure: new CaseErasureService(ctx),
    unsubscribe: new UnsubscribeService(transitions, unsubscribeLinks),
  };
  const modelKey = modelLimitKey(config);
  const readiness = createReadiness({
    db,
    boss,
    runsWorker,
    // Only a model agent can be unavailable; the rules agent has nobody to ask.
    agent: config.agent === 'openai' || options.agent ? () => limiter.openCircuits(modelKey) : null,
  });
  const ops = opsRoutes({ readiness, registry: metrics.registry });

  let stopGate = (): void => undefined;
  let workers: Workers | null = null;
  if (runsWorker) {
    let gate: ModelGate | null = null;
    const onCall: AgentCallHook = (info) => {
      metrics.onModelCall(info);
      services.modelUsage.onCall(info);
      gate?.onCall(info);
    };
    const inner = options.agent ?? createAgent({ ...agentConfig(config), onCall });
    // Every model call goes through the gate; the rules agent calls no provider and is left as it is.
    gate =
      inner.name === 'rules'
        ? null
        : new ModelGate(inner, limiter, ctx, {
            key: modelKey,
            rpm: config.MODEL_RPM ?? null,
            tpm: config.MODEL_TPM ?? null,
            timeScale: config.OFFLOAD_TIME_SCALE,
          });
    gate?.start();
    stopGate = () => gate?.stop();
    // Every agent, a test's too: SMS messages stay within SPEC §13's 320 characters whatever the agent wrote.
    const agent: Agent = smsSized(gate ?? inner);
    workers = await startWorkers(boss, ctx, {
      cases: new CaseWorker({ ...transitions, unsubscribeLinks }, agent, transport, metrics.observer(logger)),
      webhooks: { deliver: webhooks.deliver },
    });
    readiness.workersRegistered();
  }

  let http: HttpServer | null = null;
  let revocations: RevocationListener | null = null;
  const keyRate = new SharedKeyRateLimit(db, config.RATE_LIMIT_PER_MINUTE, logger);
  if (runsApi) {
    keyRate.start();
    await feed.start();
    // The SMTP listener is an inbound face like /webhooks/*: it only stores mail and queues jobs, so it runs with the
    // API, and scaling workers never has them compete for INBOUND_SMTP_PORT.
    await transport.start?.(services.inbound);
    http = await startHttp({
      config,
      schema: await buildOffloadSchema(),
      services,
      logger,
      extraRoutes: (app) => {
        mountMailRoutes(app, config, services, logger);
        mountSmsRoutes(app, config, services, logger);
        app.use(restRoutes(services, config, keyRate, logger));
        app.use(unsubscribeRoutes(services));
      },
      ops,
      limiter: keyRate,
    });
    const api = http;
    revocations = await listenForRevokedKeys(
      databaseUrl,
      (keyIds) => {
        services.accounts.forgetKeys(keyIds);
        const closed = api.closeKeySockets(keyIds);
        if (closed) logger.info({ keyIds, sockets: closed }, 'closed graphql-ws sockets of revoked API keys');
      },
      (error) => logger.warn({ err: error }, 'key revocation listener lost; reconnecting'),
    );
  }
  const opsServer = runsApi
    ? null
    : await startOpsServer(ops, { port: config.PORT, host: config.HOST }, (error) =>
        logger.warn({ err: error, port: config.PORT }, 'worker health and metrics not served: PORT unavailable'),
      );
  const address = http?.server.address();
  const url = address && typeof address === 'object' ? `http://127.0.0.1:${address.port}` : config.publicUrl;
  if (!config.PUBLIC_URL) publicUrl = url;

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      readiness.stopping();
      await revocations?.stop();
      await http?.stop();
      await keyRate.stop();
      await opsServer?.stop();
      // Calls and sends waiting for the provider end now (their jobs go back to the queue) instead of at the timeout.
      stopLimits.abort();
      stopGate();
      // Graceful: stop fetching, let jobs in flight finish (or go back to the queue at the timeout).
      await workers?.stop(20_000);
      await boss.stop({ graceful: true, timeout: 20_000 });
      await services.modelUsage.flush();
      await closeWebhookAgents();
      await transport.stop?.();
      await feed.stop();
      await mailLimitsDb?.destroy();
      await db.destroy();
      await writes.end();
    })());

  return { config, db, boss, services, mail: transport, http, url, metrics, opsUrl: opsServer?.url ?? null, stop };
}

/** The provider key model limits are shared under: one per server and model, as providers count them. */
function modelLimitKey(config: Config): string {
  const host = config.OPENAI_BASE_URL ? new URL(config.OPENAI_BASE_URL).host : 'api.openai.com';
  return `model:${host}/${config.OPENAI_MODEL}`;
}

function agentConfig(config: Config): Parameters<typeof createAgent>[0] {
  return {
    agent: config.agent,
    openai: { apiKey: config.OPENAI_API_KEY, baseURL: config.OPENAI_BASE_URL, model: config.OPENAI_MODEL },
  };
}
