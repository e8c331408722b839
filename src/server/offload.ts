// The composition root: builds every service from the configuration and starts the roles asked for.
import type { PgBoss } from 'pg-boss';
import type { DataSource } from 'typeorm';
import { createAgent } from '../agent/agent.factory';
import type { Agent } from '../agent/agent.types';
import type { Config } from '../config/config';
import { buildOffloadSchema } from '../graphql/schema';
import { startBoss } from '../jobs/boss';
import { startWorkers } from '../jobs/worker';
import type { MailTransport } from '../mail/mail.types';
import { createDataSource, ensureDatabase, migrate } from '../persistence/data-source';
import { AccountsService } from '../services/accounts.service';
import { AttachmentLinks, loadSigningSecret } from '../services/attachment-links';
import { AttachmentsService } from '../services/attachments.service';
import { CaseFeed } from '../services/case-feed';
import { CaseWorker } from '../services/case-worker';
import { CasesService } from '../services/cases.service';
import { InboundService } from '../services/inbound.service';
import type { Clock, ServiceContext } from '../services/service-context';
import type { Services } from '../services/services';
import { startHttp, type HttpServer } from './http';
import { createMailTransport, mountMailRoutes } from './mail-wiring';
import { createWebhookWiring } from './webhook-wiring';
import { restRoutes } from '../rest/rest.routes';
import { createLogger, type Logger } from './logger';

export type Role = 'serve' | 'api' | 'worker';

export interface OffloadOptions {
  role: Role;
  clock?: Clock;
  logger?: Logger;
  /** Tests and benchmarks swap adapters at the edge; the rest of the wiring stays real. */
  agent?: Agent;
  transport?: MailTransport;
}

export interface Offload {
  config: Config;
  db: DataSource;
  boss: PgBoss;
  services: Services;
  http: HttpServer | null;
  url: string;
  stop(): Promise<void>;
}

/** Creates the database if needed, applies migrations and pg-boss's schema. */
export async function prepareDatabase(config: Config, logger?: Logger): Promise<DataSource> {
  if (await ensureDatabase(config.DATABASE_URL)) logger?.info('created database');
  const db = createDataSource(config.DATABASE_URL, config.DATABASE_POOL_MAX);
  await db.initialize();
  const ran = await migrate(db);
  for (const name of ran) logger?.info({ migration: name }, 'applied migration');
  return db;
}

export async function startOffload(config: Config, options: OffloadOptions): Promise<Offload> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const clock = options.clock ?? (() => new Date());
  const db = await prepareDatabase(config, logger);
  const runsWorker = options.role !== 'api';
  const runsApi = options.role !== 'worker';
  const boss = await startBoss(config.DATABASE_URL, { schedule: runsWorker });

  let publicUrl = config.publicUrl;
  const feed = new CaseFeed(db, logger, { databaseUrl: config.DATABASE_URL });
  const ctx: ServiceContext = { db, boss, config, clock, logger, changes: feed };
  const webhooks = createWebhookWiring(ctx, config);
  const transitions = { ...ctx, ...(webhooks.outbox ? { webhooks: webhooks.outbox } : {}) };
  const links = new AttachmentLinks(
    await loadSigningSecret(db, config.SIGNING_SECRET),
    () => publicUrl,
    config.ATTACHMENT_URL_TTL_SECONDS,
    clock,
  );
  const services: Services = {
    accounts: new AccountsService(db),
    cases: new CasesService(transitions),
    attachments: new AttachmentsService(db, links),
    inbound: new InboundService(ctx),
    feed,
  };

  let transport: MailTransport | null = null;
  if (runsWorker) {
    const agent = options.agent ?? createAgent(agentConfig(config));
    transport = options.transport ?? createMailTransport(config, logger);
    await transport.start?.(services.inbound);
    await startWorkers(boss, ctx, {
      cases: new CaseWorker(transitions, agent, transport),
      ...(webhooks.deliver ? { webhooks: { deliver: webhooks.deliver } } : {}),
    });
  }

  let http: HttpServer | null = null;
  if (runsApi) {
    await feed.start();
    http = await startHttp({
      config,
      schema: await buildOffloadSchema(),
      services,
      logger,
      extraRoutes: (app) => {
        mountMailRoutes(app, config, services, logger);
        app.use(restRoutes(services, config));
      },
      ready: async () => {
        await db.query('SELECT 1');
        return true;
      },
    });
  }
  const address = http?.server.address();
  const url = address && typeof address === 'object' ? `http://127.0.0.1:${address.port}` : config.publicUrl;
  if (!config.PUBLIC_URL) publicUrl = url;

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await http?.stop();
      // Graceful: stop fetching, let jobs in flight finish (or go back to the queue at the timeout).
      await boss.stop({ graceful: true, timeout: 20_000 });
      await transport?.stop?.();
      await feed.stop();
      await db.destroy();
    })());

  return { config, db, boss, services, http, url, stop };
}

function agentConfig(config: Config): Parameters<typeof createAgent>[0] {
  return {
    agent: config.agent,
    openai: { apiKey: config.OPENAI_API_KEY, baseURL: config.OPENAI_BASE_URL, model: config.OPENAI_MODEL },
  };
}
