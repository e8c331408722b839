// Every environment variable Offload reads, parsed once at start. A bad value stops start-up naming the variable.
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

// pg-boss reads the schedule with cron-parser; asking the same parser at start-up turns a typo into a message
// naming SWEEP_CRON instead of a failure deep inside pg-boss's scheduler.
function isCron(value: string): boolean {
  if (value.trim().split(/\s+/).length < 5) return false;
  try {
    CronExpressionParser.parse(value);
    return true;
  } catch {
    return false;
  }
}

const port = z.coerce.number().int().min(0).max(65535);

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: port.default(4000),
    HOST: z.string().default('0.0.0.0'),
    // Unset: the CLI runs an embedded PostgreSQL in OFFLOAD_HOME (src/persistence/database-location.ts).
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'a postgres:// or postgresql:// URL' }).optional(),
    OFFLOAD_HOME: z.string().min(1).default('.offload'),
    // The main pool; a process's whole connection count is in README "Sizing" (connectionBudget).
    DATABASE_POOL_MAX: z.coerce.number().int().min(2).max(200).default(10),
    PUBLIC_URL: z.url().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    OFFLOAD_TIME_SCALE: z.coerce.number().positive().max(1e9).default(1),
    SWEEP_CRON: z
      .string()
      .refine((value) => isCron(value), 'not a cron expression (five fields, e.g. "0 * * * *" for hourly)')
      .default('0 * * * *'),
    /** Unset: keep cases forever. Set: the sweep erases finished cases this many days after they finished. */
    CASE_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
    // Jobs a worker runs at once that are doing their own work (database, mail); jobs waiting on the model do not
    // count here but against MODEL_MAX_CONCURRENCY.
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
    // Model calls in flight per worker process (README "Sizing"): waits cost a socket and a few KB, no connection.
    MODEL_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(32),
    // pg-boss's own connection pool (fetch loops, settles, heartbeats, supervision, sends outside a transaction).
    JOB_POOL_MAX: z.coerce.number().int().min(2).max(100).default(3),
    AGENT: z.enum(['openai', 'rules']).optional(),
    OPENAI_API_KEY: z.string().min(1).optional(),
    OPENAI_BASE_URL: z.url().optional(),
    OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
    // Caps on model calls (requests / tokens per minute) across every worker process, shared through PostgreSQL;
    // unset: only what the provider's refusals teach the shared adaptive rate.
    MODEL_RPM: z.coerce.number().positive().max(1e7).optional(),
    MODEL_TPM: z.coerce.number().int().min(1000).max(1e10).optional(),
    // Sends per minute per sending domain across every worker; a send over it waits, none is dropped.
    MAIL_RATE_PER_MINUTE: z.coerce.number().positive().max(1e6).optional(),
    MAIL_TRANSPORT: z.enum(['local', 'smtp', 'agentmail']).default('local'),
    MAIL_DOMAIN: z
      .string()
      .regex(/^[a-z0-9.-]+$/i, 'a domain name')
      .default('offload.localhost'),
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, 'an smtp:// or smtps:// URL')
      .optional(),
    INBOUND_SMTP_PORT: port.default(2525),
    // Loopback by default: exposing the listener to the internet is a decision (the MX, a proxy), not an accident.
    INBOUND_SMTP_HOST: z.string().min(1).default('127.0.0.1'),
    INBOUND_SMTP_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(25 * 1024 * 1024),
    // Attachments kept per inbound message: a mail with more is refused in the SMTP dialogue (552), and trimmed to
    // this many (the rest logged) where the provider has already accepted it (AgentMail).
    // SPF, DKIM and DMARC checks of inbound SMTP mail (mailauth, system DNS); a DMARC failure under p=reject or
    // p=quarantine keeps a mail from driving its case.
    INBOUND_SMTP_VERIFY_SENDER: bool.default(true),
    INBOUND_MAX_ATTACHMENTS: z.coerce.number().int().min(1).max(10_000).default(100),
    AGENTMAIL_API_KEY: z.string().min(1).optional(),
    AGENTMAIL_BASE_URL: z.url().default('https://api.agentmail.to/v0'),
    AGENTMAIL_INBOX_ID: z.string().min(3).optional(),
    AGENTMAIL_WEBHOOK_SECRET: z.string().min(1).optional(),
    // SPEC §13: texts leave through Twilio, or (local) only onto the case's thread, answered via POST /webhooks/local.
    SMS_TRANSPORT: z.enum(['local', 'twilio']).default('local'),
    TWILIO_ACCOUNT_SID: z
      .string()
      .regex(/^AC[0-9a-f]{32}$/i, 'an Account SID (AC followed by 32 hex digits)')
      .optional(),
    TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
    // Our side of every SMS conversation: an E.164 number, or a Messaging Service SID (MG...) that picks one.
    TWILIO_FROM: z
      .string()
      .regex(/^(\+[1-9]\d{6,14}|MG[0-9a-f]{32})$/i, 'an E.164 number (+15551234567) or a Messaging Service SID (MG...)')
      .optional(),
    TWILIO_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.twilio.com'),
    WEBHOOK_ALLOW_PRIVATE: bool.default(false),
    // Per webhook attempt, the one value in force: long enough for a slow receiver, short enough not to pin a worker.
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(10000),
    ATTACHMENT_URL_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(10)
      .max(7 * 86400)
      .default(3600),
    SIGNING_SECRET: z.string().min(16).optional(),
    IDEMPOTENCY_TTL_HOURS: z.coerce.number().int().min(24).default(48),
    // Requests per minute per API key, one budget for GraphQL (HTTP and graphql-ws), REST and the local inbound route
    // across every API process; 0 turns the limit off.
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
    AUTH_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
    // graphql-ws's own default: a socket that has not authenticated by then is closed (4408).
    WS_CONNECTION_INIT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),
    // Every frame a socket sends (pings and connection_init included) draws on this budget; past it, 4429.
    WS_MESSAGES_PER_SECOND: z.coerce.number().positive().max(10_000).default(10),
    WS_MESSAGE_BURST: z.coerce.number().int().min(1).max(100_000).default(50),
    WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).max(1_000).default(20),
    WS_MAX_SUBSCRIPTIONS_PER_ACCOUNT: z.coerce.number().int().min(1).default(1_000),
    // A caseUpdates cursor resumes when it is at most this old OR at most this many updates behind; else
    // CURSOR_EXPIRED. SPEC §10 promises at least 24 h or 10,000 updates; lower values are for tests.
    FEED_RESUME_HOURS: z.coerce.number().min(0).default(24),
    FEED_RESUME_UPDATES: z.coerce.number().int().min(0).default(10_000),
  })
  .superRefine((env, ctx) => {
    if (env.MAIL_TRANSPORT === 'smtp' && !env.SMTP_URL)
      ctx.addIssue({ code: 'custom', path: ['SMTP_URL'], message: 'required when MAIL_TRANSPORT=smtp' });
    if (env.MAIL_TRANSPORT === 'agentmail') {
      for (const key of ['AGENTMAIL_API_KEY', 'AGENTMAIL_INBOX_ID', 'AGENTMAIL_WEBHOOK_SECRET'] as const)
        if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'required when MAIL_TRANSPORT=agentmail' });
    }
    if (env.SMS_TRANSPORT === 'twilio') {
      for (const key of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] as const)
        if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'required when SMS_TRANSPORT=twilio' });
      if (!env.PUBLIC_URL)
        ctx.addIssue({
          code: 'custom',
          path: ['PUBLIC_URL'],
          message: 'required when SMS_TRANSPORT=twilio (Twilio signs each webhook with the URL it called)',
        });
    }
    if (env.AGENT === 'openai' && !env.OPENAI_API_KEY && !env.OPENAI_BASE_URL)
      ctx.addIssue({
        code: 'custom',
        path: ['OPENAI_API_KEY'],
        message: 'AGENT=openai needs OPENAI_API_KEY or OPENAI_BASE_URL',
      });
  });

export type Env = z.infer<typeof schema>;

export interface Config extends Env {
  agent: 'openai' | 'rules';
  publicUrl: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The roles and commands that reach this point have had their database resolved (an embedded one, or the URL's). */
export function requireDatabaseUrl(config: Config): string {
  if (!config.DATABASE_URL) throw new ConfigError('DATABASE_URL: not set (no database to connect to)');
  return config.DATABASE_URL;
}

/** Parses the environment; throws a ConfigError listing every bad variable by name. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset", as they do in most shells' `VAR= cmd`.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(environment)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  const agent = env.AGENT ?? (env.OPENAI_API_KEY || env.OPENAI_BASE_URL ? 'openai' : 'rules');
  const publicUrl = (env.PUBLIC_URL ?? `http://127.0.0.1:${env.PORT}`).replace(/\/$/, '');
  return { ...env, agent, publicUrl };
}

/** Our side of every SMS conversation when no Twilio sender is configured (SMS_TRANSPORT=local). */
const LOCAL_SMS_SENDER = 'local';

/** Our number (or Messaging Service SID): the first half of the (our number, their number) conversation pair. */
export const smsSender = (config: Pick<Env, 'TWILIO_FROM'>): string => config.TWILIO_FROM ?? LOCAL_SMS_SENDER;
