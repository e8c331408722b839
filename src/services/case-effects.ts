// Turns the state machine's effects into writes of the caller's transaction: no lost follow-up, no phantom job.
// Transitions record their writes in a TransitionWrites and flush them together, one statement per table, so a
// batch of cases costs about what one case does.
import { randomUUID } from 'node:crypto';
import { escapeLiteral } from 'pg';
import type { PgBoss } from 'pg-boss';
import type { DataSource, EntityManager } from 'typeorm';
import type { Effect } from '../domain/case.events';
import type { CaseJob } from '../jobs/job.catalog';
import { QUEUES } from '../jobs/job.catalog';
import { bossDb } from '../jobs/boss';
import { CaseEntity, MessageEntity } from '../persistence/entities';
import {
  caseRecords,
  INSERT_TIMELINE,
  timelineRecords,
  UPDATE_CASES,
  usageMonth,
  type TimelineEntry,
} from './case-store';
import { INSERT_MESSAGES, messageRecords } from './outbox';
import type { ServiceContext } from './service-context';

export type SendJob = Extract<CaseJob, { type: 'SEND_MESSAGE' }>;

/** A send this transaction queued: the worker that committed it may run it at once (see case-worker.ts). */
export interface QueuedSend {
  job: SendJob;
  jobId: string | null;
  /** The case as this transaction left it. */
  row: CaseEntity;
}

export interface WebhookOutbox {
  enqueue(manager: EntityManager, row: CaseEntity, eventType: string, occurredAt: Date): Promise<void>;
}

type EffectsContext = Pick<ServiceContext, 'boss'> & { webhooks?: WebhookOutbox };

/** Sends one case job in the transaction of `manager`; jobs of one case run one at a time (group = case id). */
export async function enqueueCaseJob(
  ctx: Pick<ServiceContext, 'boss'>,
  manager: EntityManager,
  job: CaseJob,
  startAfter?: Date,
): Promise<string | null> {
  return ctx.boss.send(QUEUES.caseEvents.name, job, {
    db: bossDb(manager),
    group: { id: job.caseId },
    ...(startAfter ? { startAfter } : {}),
  });
}

/** What the transitions of one transaction write, kept until flush() writes it all. */
export class TransitionWrites {
  private readonly cases = new Map<string, CaseEntity>();
  private readonly timeline: { row: CaseEntity; entry: TimelineEntry }[] = [];
  private readonly jobs: { id: string; job: CaseJob; startAfter?: Date }[] = [];
  private readonly claims: { key: string; caseId: string | null }[] = [];
  private readonly messages: MessageEntity[] = [];
  private readonly billable: { accountId: string; month: string }[] = [];
  private readonly webhooks: { row: CaseEntity; eventType: string; occurredAt: Date }[] = [];

  /** Claims a step's key with the writes (see flush). */
  claim(key: string, caseId: string | null): void {
    this.claims.push({ key, caseId });
  }

  saveCase(row: CaseEntity): void {
    this.cases.set(row.id, row);
  }

  appendTimeline(row: CaseEntity, entry: TimelineEntry): void {
    this.timeline.push({ row, entry });
  }

  /** Queues a case job; its id is known now, so a later step of the same transaction can refer to it. */
  queueJob(job: CaseJob, startAfter?: Date): string {
    const id = randomUUID();
    this.jobs.push({ id, job, ...(startAfter ? { startAfter } : {}) });
    return id;
  }

  recordMessage(message: MessageEntity): void {
    this.messages.push(message);
  }

  countBillable(accountId: string, at: Date): void {
    this.billable.push({ accountId, month: usageMonth(at) });
  }

  /** The event is built from the case as it is now, even if the same transaction changes the case again. */
  emitWebhook(row: CaseEntity, eventType: string, occurredAt: Date): void {
    this.webhooks.push({ row: Object.assign(new CaseEntity(), row), eventType, occurredAt });
  }

  /**
   * Writes everything in the caller's transaction: claims, cases, timeline and messages in one statement, then
   * usage, jobs and webhooks. Throws DuplicateSteps if a claimed key was already taken (the caller must roll back).
   */
  async flush(ctx: EffectsContext, manager: EntityManager): Promise<void> {
    const params: unknown[] = [];
    const main = this.mainStatement((json) => `$${params.push(json)}`);
    if (main) {
      const select = `SELECT ARRAY(SELECT key FROM claims) AS claimed, (SELECT count(*) FROM saved)::int AS saved`;
      const [result] = (await manager.query(`${main} ${select}`, params)) as { claimed: string[]; saved: number }[];
      const taken = new Set(result!.claimed);
      const duplicates = this.claims.filter((c) => !taken.has(c.key)).map((c) => c.key);
      if (duplicates.length) throw new DuplicateSteps(duplicates);
      // Only a write that went around saveCase's lock could do this.
      if (result!.saved !== this.cases.size) throw new Error('a locked case changed version under its lock');
    }
    for (const { accountId, month } of this.billable) await countBillable(manager, accountId, month);
    if (this.jobs.length) await ctx.boss.insert(QUEUES.caseEvents.name, this.jobInserts(), { db: bossDb(manager) });
    for (const { row, eventType, occurredAt } of this.webhooks)
      await ctx.webhooks?.enqueue(manager, row, eventType, occurredAt);
    this.saved();
  }

  /** Usage and webhooks read and write beyond one statement; everything else can go in one round trip. */
  get fitsOneTrip(): boolean {
    return !this.billable.length && !this.webhooks.length;
  }

  /**
   * Writes everything in one round trip, as one transaction (several statements in one simple query), for steps
   * decided from an unlocked read: if any case's version moved since it was read, or any key was claimed before,
   * the whole of it fails and nothing is written. pg-boss sends its own flows the same way.
   */
  async flushInOneTrip(ctx: EffectsContext, db: DataSource): Promise<void> {
    if (!this.fitsOneTrip) throw new Error('usage and webhook writes need a transaction (flush)');
    const main = this.mainStatement(escapeLiteral);
    const statements: string[] = [];
    if (main)
      statements.push(`${main} SELECT offload_stale('a case changed since it was read, or a step was applied before')
        WHERE (SELECT count(*) FROM claims) <> ${this.claims.length} OR (SELECT count(*) FROM saved) <> ${this.cases.size}`);
    if (this.jobs.length) statements.push(await inlineInsert(ctx.boss, this.jobInserts()));
    if (statements.length) await db.query(statements.join(';\n'));
    this.saved();
  }

  /** Claims, cases, timeline and messages as one statement (WITH ... without its final SELECT). */
  private mainStatement(value: (json: string) => string): string | null {
    if (!this.claims.length && !this.cases.size && !this.timeline.length && !this.messages.length) return null;
    const json = (records: unknown) => value(JSON.stringify(records));
    return `WITH claims AS (
        INSERT INTO processed_jobs (key, case_id)
        SELECT * FROM json_to_recordset(${json(this.claims.map((c) => ({ key: c.key, case_id: c.caseId })))}::json)
                   AS v(key text, case_id uuid)
        ON CONFLICT (key) DO NOTHING RETURNING key),
      saved AS (${fill(UPDATE_CASES, json(caseRecords([...this.cases.values()])))} RETURNING c.id),
      timeline AS (${fill(INSERT_TIMELINE, json(timelineRecords(this.timeline)))} RETURNING id),
      recorded AS (${fill(INSERT_MESSAGES, json(messageRecords(this.messages)))} RETURNING id)`;
  }

  private jobInserts() {
    return this.jobs.map(({ id, job, startAfter }) => ({
      id,
      data: job,
      group: { id: job.caseId },
      ...(startAfter ? { startAfter } : {}),
    }));
  }

  /** The rows as written: each save bumped the row's version. */
  private saved(): void {
    for (const row of this.cases.values()) row.version += 1;
  }
}

/** Puts `value` where a statement's $N is; a function, so `$&` or `$'` in a literal is not a replacement pattern. */
const fill = (statement: string, value: string): string => statement.replace('$N', () => value);

/**
 * pg-boss's insert of `jobs` as one self-contained statement. Its insert is one statement with one JSON parameter
 * (plans.insertJobs); anything else would be a pg-boss change we must not paper over, hence the checks.
 */
async function inlineInsert(boss: PgBoss, jobs: object[]): Promise<string> {
  const calls: { text: string; values: unknown[] }[] = [];
  const capture = {
    executeSql: async (text: string, values?: unknown[]) => {
      calls.push({ text, values: values ?? [] });
      return { rows: [] };
    },
  };
  await boss.insert(QUEUES.caseEvents.name, jobs, { db: capture });
  const [call] = calls;
  if (
    calls.length !== 1 ||
    call!.values.length !== 1 ||
    typeof call!.values[0] !== 'string' ||
    /\$[2-9]/.test(call!.text)
  )
    throw new Error('pg-boss insert is no longer one statement with one JSON parameter');
  return call!.text.replace(/\$1\b/g, () => escapeLiteral(call!.values[0] as string));
}

/** Steps whose keys an earlier delivery already claimed: applied before, so they must not apply again. */
export class DuplicateSteps extends Error {
  override readonly name = 'DuplicateSteps';
  constructor(readonly keys: string[]) {
    super(`already applied: ${keys.join(', ')}`);
  }
}

/**
 * Records the writes of a transition's effects. A send goes to `takeSend` first: a caller that already composed
 * that message records it itself (true); otherwise it is queued as a SEND_MESSAGE job.
 */
export function recordEffects(
  writes: TransitionWrites,
  row: CaseEntity,
  effects: Effect[],
  triggerKey: string,
  now: Date,
  takeSend: (job: SendJob) => boolean = () => false,
): QueuedSend[] {
  const sends: QueuedSend[] = [];
  for (const effect of effects) {
    switch (effect.type) {
      case 'SEND_MESSAGE': {
        // One key per request (a redelivered trigger asks again with the same key); `seq` makes every request for
        // a place already taken stale, so two paths asking for the Nth message still send one.
        const job: SendJob = {
          type: 'SEND_MESSAGE',
          caseId: row.id,
          key: `${triggerKey}:send:${row.attemptCount + 1}`,
          seq: row.attemptCount + 1,
          purpose: effect.purpose,
          replyBody: effect.replyBody,
        };
        if (!takeSend(job)) sends.push({ job, jobId: writes.queueJob(job), row });
        break;
      }
      case 'EVALUATE_REPLY':
        writes.queueJob({ type: 'EVALUATE_REPLY', caseId: row.id, key: `${triggerKey}:evaluate` });
        break;
      case 'SCHEDULE_FOLLOW_UP':
        writes.queueJob(
          {
            type: 'FOLLOW_UP_DUE',
            caseId: row.id,
            key: followUpKey(row.id, effect.at),
            scheduledFor: effect.at.toISOString(),
          },
          effect.at,
        );
        break;
      case 'EMIT_WEBHOOK':
        writes.emitWebhook(row, effect.eventType, now);
        break;
      default: {
        const unreachable: never = effect;
        throw new Error(`unknown effect ${JSON.stringify(unreachable)}`);
      }
    }
  }
  return sends;
}

async function countBillable(manager: EntityManager, accountId: string, month: string): Promise<void> {
  await manager.query(
    `INSERT INTO account_usage (account_id, month, billable_count) VALUES ($1, $2, 1)
     ON CONFLICT (account_id, month) DO UPDATE SET billable_count = account_usage.billable_count + 1`,
    [accountId, month],
  );
}

/**
 * Deletes a queued send in the transaction that claims its key: it could only find the key claimed and do nothing,
 * so it goes with the claim (a rollback keeps it) and saves the queue a fetch and a completion.
 */
export async function dropQueuedSend(
  ctx: Pick<ServiceContext, 'boss'>,
  manager: EntityManager,
  jobId: string | null,
): Promise<void> {
  if (jobId) await ctx.boss.deleteJob(QUEUES.caseEvents.name, jobId, { db: bossDb(manager) });
}

export const followUpKey = (caseId: string, at: Date): string => `${caseId}:follow-up:${at.toISOString()}`;
