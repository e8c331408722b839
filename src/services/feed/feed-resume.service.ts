// Subscriptions that resume: replay what a reconnecting client missed, then go on live, with no update skipped or
// repeated at the seam. The live subscription is opened first (its queue buffers), the replay is read from
// case_events after that, and live items the replay already delivered are dropped while the buffer drains.
import { AppError, badField } from '../../domain/app.errors';
import {
  accountFeedAfter,
  caseFeedAfter,
  countAccountFeedAfter,
  feedRowTime,
  type FeedRow,
} from '../../persistence/case-events.repository';
import { findCases } from '../../persistence/cases.repository';
import type { Database } from '../../persistence/transaction.types';
import { feedItem, type CaseFeed, type FeedItem } from './case-feed.service';
import { decodeCursor, isAfter, type FeedPosition } from './feed-cursor.mapper';
import type { Clock } from '../service.context';

export interface ResumeLimits {
  /** A cursor this recent always resumes (SPEC §10: at least 24 h) ... */
  hours: number;
  /** ... and so does one with at most this many updates after it (at least 10,000). */
  updates: number;
}

const PAGE = 500;

export class FeedResume {
  constructor(
    private readonly feed: CaseFeed,
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly limits: ResumeLimits,
  ) {}

  /** The account's updates that `accept` lets through: after `after` (a CaseUpdate.cursor) when given, then live. */
  async accountUpdates(
    accountId: string,
    accept: (item: FeedItem) => boolean,
    after: string | null,
  ): Promise<AsyncIterableIterator<FeedItem>> {
    if (after == null) return this.feed.subscribe(accountId, accept);
    const from = decodeCursor(after);
    if (!from) throw badField('after', 'is not a cursor this server gave out (CaseUpdate.cursor)');
    await this.checkWithinWindow(accountId, from);
    const live = this.feed.subscribe(accountId, accept);
    let position = from;
    const replay = async (): Promise<FeedItem[] | null> => {
      const rows = await accountFeedAfter(this.db.manager, accountId, position, PAGE);
      if (!rows.length) return null;
      position = { tx: rows.at(-1)!.tx, globalSeq: rows.at(-1)!.global_seq };
      return (await this.items(rows)).filter(accept);
    };
    return new ResumedFeed(live, replay, (item) => !isAfter(item.position, position));
  }

  /** One case's updates: those with sequence > `after` when given, then live. */
  caseUpdates(
    accountId: string,
    caseId: string,
    accept: (item: FeedItem) => boolean,
    after: number | null,
  ): AsyncIterableIterator<FeedItem> {
    const live = this.feed.subscribe(accountId, accept, { caseId });
    if (after == null) return live;
    let seq = after;
    const replay = async (): Promise<FeedItem[] | null> => {
      const rows = await caseFeedAfter(this.db.manager, accountId, caseId, seq, PAGE);
      if (!rows.length) return null;
      seq = rows.at(-1)!.seq;
      return (await this.items(rows)).filter(accept);
    };
    return new ResumedFeed(live, replay, (item) => item.event.seq <= seq);
  }

  /**
   * Past the window (older than `hours` and more than `updates` behind) the cursor is refused: the client reloads
   * instead of replaying a history of unbounded length. A cursor naming no row of this account is judged as old.
   */
  private async checkWithinWindow(accountId: string, from: FeedPosition): Promise<void> {
    const behind = await countAccountFeedAfter(this.db.manager, accountId, from, this.limits.updates + 1);
    if (behind <= this.limits.updates) return;
    const at = await feedRowTime(this.db.manager, accountId, from);
    if (at && at.getTime() >= this.clock().getTime() - this.limits.hours * 3_600_000) return;
    throw new AppError(
      'CURSOR_EXPIRED',
      `This cursor is past the resume window (${this.limits.hours} h or ${this.limits.updates} updates): reload, then subscribe without after`,
    );
  }

  private async items(rows: FeedRow[]): Promise<FeedItem[]> {
    if (!rows.length) return [];
    const ids = [...new Set(rows.map((r) => r.case_id))];
    const cases = await findCases(this.db.manager, ids);
    const byId = new Map(cases.map((c) => [c.id, c]));
    return rows.flatMap((row) => feedItem(row, byId.get(row.case_id)) ?? []);
  }
}

/**
 * Replay pages first, then the live queue minus what the replay delivered. A class rather than an async generator:
 * a generator cannot be ended while it awaits the live queue, and a client that leaves must free its subscription
 * at once.
 */
export class ResumedFeed implements AsyncIterableIterator<FeedItem> {
  private pending: FeedItem[] = [];
  private replaying = true;
  private closed = false;

  /**
   * @param nextPage the next replayed items (possibly none that pass the filter), or null once caught up
   * @param replayed whether a live item was already read by the replay (judged against the last row it read)
   */
  constructor(
    private readonly live: AsyncIterableIterator<FeedItem>,
    private readonly nextPage: () => Promise<FeedItem[] | null>,
    private readonly replayed: (item: FeedItem) => boolean,
  ) {}

  async next(): Promise<IteratorResult<FeedItem>> {
    while (this.replaying && !this.closed) {
      const item = this.pending.shift();
      if (item) return { value: item, done: false };
      const page = await this.nextPage();
      if (page) this.pending = page;
      else this.replaying = false;
    }
    for (;;) {
      if (this.closed) return { value: undefined, done: true };
      const result = await this.live.next();
      if (result.done || !this.replayed(result.value)) return result;
    }
  }

  async return(): Promise<IteratorResult<FeedItem>> {
    this.closed = true;
    await this.live.return?.();
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<FeedItem>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
