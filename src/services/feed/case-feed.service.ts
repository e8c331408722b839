// Fan-out of timeline rows to subscribers in this process, whichever process wrote them. Writers do not NOTIFY in
// their transactions (NOTIFY takes a global lock at commit); they call changed(), which wakes the local reader at
// once and sends at most one NOTIFY per interval for readers in other processes. Readers also poll as a floor.
import {
  createFeedListener,
  currentFeedWatermark,
  listenToFeed,
  notifyFeed,
  readFeed,
  toCaseEvent,
  type FeedListener,
  type FeedRow,
  type FeedWatermark,
} from '../../persistence/case-events.repository';
import { findCases } from '../../persistence/cases.repository';
import type { CaseEntity, CaseEventEntity } from '../../persistence/entities';
import type { Database } from '../../persistence/transaction.types';
import type { Logger } from '../../observability/logger.factory';
import type { ChangeSignal } from '../service.context';
import { PushQueue } from './push.queue';

export interface FeedItem {
  event: CaseEventEntity;
  case: CaseEntity;
}

interface Subscriber {
  accountId: string;
  accept: (item: FeedItem) => boolean;
  push: (item: FeedItem) => void;
}

export interface CaseFeedOptions {
  databaseUrl: string;
  pollMs?: number;
  notifyEveryMs?: number;
  batchSize?: number;
}

export class CaseFeed implements ChangeSignal {
  /** Subscribers by what they follow: `case:<id>` for one case, `account:<id>` for all of an account's cases. */
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private subscriberTotal = 0;
  private watermark: FeedWatermark | null = null;
  private listener: FeedListener | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private reading: Promise<void> | null = null;
  private again = false;
  private notifyPending: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly options: CaseFeedOptions,
  ) {}

  /** Starts reading; only processes that serve subscriptions need this. */
  async start(): Promise<void> {
    this.watermark = await this.currentWatermark();
    await this.listen();
    this.pollTimer = setInterval(() => this.wake(), this.options.pollMs ?? 500);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.notifyPending) clearTimeout(this.notifyPending);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.reading;
    await this.listener?.end().catch(() => undefined);
    this.listener = null;
  }

  /** Called after a commit that wrote timeline rows. */
  changed(): void {
    // With nobody to tell here, reading now would only move the watermark; the NOTIFY (and the poll) does that.
    if (this.subscriberTotal) this.wake();
    if (this.notifyPending || this.stopped) return;
    this.notifyPending = setTimeout(() => {
      this.notifyPending = null;
      notifyFeed(this.db.manager).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'case feed notify failed; readers will poll');
      });
    }, this.options.notifyEveryMs ?? 20);
  }

  /**
   * Follows an account's changes that `accept` lets through; with `caseId`, only that case's (indexed, so thousands
   * of one-case subscribers cost nothing for the changes of other cases).
   */
  subscribe(
    accountId: string,
    accept: (item: FeedItem) => boolean,
    options: { caseId?: string; maxQueued?: number } = {},
  ): AsyncIterableIterator<FeedItem> {
    const key = options.caseId ? `case:${options.caseId}` : `account:${accountId}`;
    const queue = new PushQueue<FeedItem>(options.maxQueued ?? 1000, () => this.removeSubscriber(key, subscriber));
    const subscriber: Subscriber = { accountId, accept, push: (item) => queue.push(item) };
    this.addSubscriber(key, subscriber);
    return queue;
  }

  get subscriberCount(): number {
    return this.subscriberTotal;
  }

  private addSubscriber(key: string, subscriber: Subscriber): void {
    const set = this.subscribers.get(key) ?? new Set<Subscriber>();
    set.add(subscriber);
    this.subscribers.set(key, set);
    this.subscriberTotal++;
  }

  private removeSubscriber(key: string, subscriber: Subscriber): void {
    const set = this.subscribers.get(key);
    if (!set?.delete(subscriber)) return;
    this.subscriberTotal--;
    if (!set.size) this.subscribers.delete(key);
  }

  private interested(row: FeedRow): Subscriber[] {
    const forCase = this.subscribers.get(`case:${row.case_id}`);
    const forAccount = this.subscribers.get(`account:${row.account_id}`);
    return [...(forCase ?? []), ...(forAccount ?? [])].filter((s) => s.accountId === row.account_id);
  }

  private wake(): void {
    if (this.stopped || !this.watermark) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.readAll()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'case feed read failed; retrying on next poll'))
      .finally(() => {
        this.reading = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async readAll(): Promise<void> {
    for (;;) {
      const batch = await this.readBatch();
      if (!batch.length) return;
      const last = batch.at(-1)!;
      this.watermark = { tx: last.tx, seq: last.global_seq };
      if (this.subscriberTotal) await this.dispatch(batch);
      if (batch.length < (this.options.batchSize ?? 500)) return;
    }
  }

  private readBatch(): Promise<FeedRow[]> {
    return readFeed(this.db.manager, this.watermark!, this.options.batchSize ?? 500);
  }

  private async dispatch(batch: FeedRow[]): Promise<void> {
    const wanted = orderWithinCases(batch)
      .map((row) => ({ row, to: this.interested(row) }))
      .filter((w) => w.to.length);
    if (!wanted.length) return;
    // One read of the cases concerned, shared by every subscriber of the batch.
    const caseIds = [...new Set(wanted.map((w) => w.row.case_id))];
    const cases = await findCases(this.db.manager, caseIds);
    const byId = new Map(cases.map((c) => [c.id, c]));
    for (const { row, to } of wanted) {
      const current = byId.get(row.case_id);
      if (!current) continue;
      const item: FeedItem = { event: toCaseEvent(row), case: current };
      for (const s of to) if (s.accept(item)) s.push(item);
    }
  }

  private currentWatermark(): Promise<FeedWatermark> {
    return currentFeedWatermark(this.db.manager);
  }

  private async listen(): Promise<void> {
    const client = createFeedListener(this.options.databaseUrl);
    client.on('notification', () => this.wake());
    // A terminated connection reports more than one error ("terminating connection", then "terminated
    // unexpectedly"): only the first schedules a reconnect, or each would open a listener of its own.
    let lost = false;
    client.on('error', (error) => {
      if (lost) return;
      lost = true;
      this.logger.warn({ err: error }, 'case feed listener lost; reconnecting');
      if (this.listener === client) this.listener = null;
      client.end().catch(() => undefined);
      this.scheduleReconnect(1000);
    });
    try {
      await client.connect();
      await listenToFeed(client);
    } catch (error) {
      lost = true;
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) await client.end().catch(() => undefined);
    else this.listener = client;
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.reconnect();
    }, delayMs);
    this.reconnectTimer.unref();
  }

  private async reconnect(): Promise<void> {
    if (this.stopped || this.listener) return;
    try {
      await this.listen();
      // Notifications sent while we were away are lost; a read now catches up on what they announced.
      this.wake();
    } catch {
      this.scheduleReconnect(2000);
    }
  }
}

/**
 * Two transactions of one case can take transaction ids in the opposite order of their row lock, and so of their
 * seq; both become visible in the same batch (the later one waits behind the earlier one's xmin), so ordering each
 * case's rows by seq here restores the case's own order.
 */
export function orderWithinCases<T extends { case_id: string; seq: number }>(batch: T[]): T[] {
  const perCase = new Map<string, T[]>();
  for (const row of batch) {
    const list = perCase.get(row.case_id) ?? [];
    list.push(row);
    perCase.set(row.case_id, list);
  }
  for (const list of perCase.values()) list.sort((a, b) => a.seq - b.seq);
  const cursor = new Map<string, number>();
  return batch.map((row) => {
    const i = cursor.get(row.case_id) ?? 0;
    cursor.set(row.case_id, i + 1);
    return perCase.get(row.case_id)![i]!;
  });
}
