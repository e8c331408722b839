// Starts a real Offload (HTTP, GraphQL, worker, pg-boss) on a fresh database for one test file.
import 'reflect-metadata';
import type { Agent } from '../../src/agent/agent.types';
import { loadConfig, type Config } from '../../src/config/env.config';
import type { MailTransport } from '../../src/mail/mail.types';
import type { DNSResolver } from '../../src/mail/mail-auth.guard';
import { startOffload, type Offload, type Role } from '../../src/server/offload.app';
import { createLogger } from '../../src/observability/logger.factory';
import type { Plan } from '../../src/domain/case.model';
import { createTestDatabase, type TestDatabase } from './database';
import { GraphQLClient } from './graphql-client';

export interface TestApp {
  offload: Offload;
  config: Config;
  url: string;
  database: TestDatabase;
  /** A client for a fresh account created for the test. */
  client: GraphQLClient;
  apiKey: string;
  accountId: string;
  newAccount(plan?: Plan, name?: string): Promise<{ client: GraphQLClient; apiKey: string; accountId: string }>;
  stop(): Promise<void>;
}

export interface TestAppOptions {
  role?: Role;
  env?: Record<string, string>;
  agent?: Agent;
  transport?: MailTransport;
  plan?: Plan;
  /** Reuse a database (e.g. an API process beside a worker process); the caller drops it. */
  database?: TestDatabase;
  /** The services' clock (decisions, schedules); pg-boss keeps the database's own time. */
  clock?: () => Date;
  /** DNS for SPF/DKIM/DMARC checks of inbound SMTP mail (fixed records, offline). */
  dnsResolver?: DNSResolver;
}

export async function startTestApp(label: string, options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase(label));
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.OFFLOAD_TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: database.url,
    DATABASE_POOL_MAX: '10',
    WORKER_CONCURRENCY: '4',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    // Tests poll the API every 50 ms; the rate limit has its own test (graphql-limits.test.ts).
    RATE_LIMIT_PER_MINUTE: '0',
    ...options.env,
  });
  const offload = await startOffload(config, {
    role: options.role ?? 'serve',
    logger: createLogger(config.LOG_LEVEL),
    ...(options.agent ? { agent: options.agent } : {}),
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.dnsResolver ? { dnsResolver: options.dnsResolver } : {}),
  });
  const newAccount = async (plan: Plan = 'BASE_PRO', name = 'test') => {
    const created = await offload.services.accounts.createAccount(name, plan);
    return {
      client: new GraphQLClient(offload.url, created.apiKey),
      apiKey: created.apiKey,
      accountId: created.accountId,
    };
  };
  const first = await newAccount(options.plan ?? 'BASE_PRO');
  return {
    offload,
    config,
    url: offload.url,
    database,
    ...first,
    newAccount,
    stop: async () => {
      await offload.stop();
      if (!options.database) await database.drop();
    },
  };
}

/** A minimal valid createCase input; override what the test is about. */
export function caseInput(overrides: Record<string, unknown> = {}) {
  return {
    channel: 'EMAIL' as const,
    goal: { objective: 'Collect a signed W-9 from the vendor' },
    counterparty: { address: 'vendor@example.com', name: 'Vera Vendor' },
    senderPersona: { name: 'Sam Sender', role: 'Accounts payable', company: 'Acme' },
    ...overrides,
  };
}
