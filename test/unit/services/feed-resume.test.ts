// The seam between replay and live, without a database: the live queue opened first buffers what arrives during
// the replay; what the replay already delivered is dropped, what came after it goes on, in order, once.
import { PushQueue } from '../../../src/services/feed/push.queue';
import { ResumedFeed } from '../../../src/services/feed/feed-resume.service';
import type { FeedItem } from '../../../src/services/feed/case-feed.service';
import { decodeCursor, encodeCursor, isAfter } from '../../../src/services/feed/feed-cursor.mapper';
import type { CaseEntity, CaseEventEntity } from '../../../src/persistence/entities';

const item = (n: number): FeedItem => ({
  event: { id: `e${n}`, seq: n } as CaseEventEntity,
  case: {} as CaseEntity,
  position: { tx: String(1000 + n), globalSeq: String(n) },
});

async function take(feed: AsyncIterableIterator<FeedItem>, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const next = await feed.next();
    if (next.done) break;
    out.push(next.value.event.seq);
  }
  return out;
}

it('replays, then drains the live buffer without what the replay delivered, then goes on live', async () => {
  const live = new PushQueue<FeedItem>(100, () => {});
  // Rows 4..8 are in the database; the live reader had already pushed 6..8 (and 9) into the buffer meanwhile.
  const pages = [
    [item(4), item(5)],
    [item(6), item(7), item(8)],
  ];
  let last = 3;
  const feed = new ResumedFeed(
    live,
    async () => {
      const page = pages.shift();
      if (!page) return null;
      last = page.at(-1)!.event.seq;
      return page;
    },
    (i) => i.event.seq <= last,
  );
  for (const n of [6, 7, 8, 9]) live.push(item(n));
  expect(await take(feed, 6)).toEqual([4, 5, 6, 7, 8, 9]);
  live.push(item(10));
  expect(await take(feed, 1)).toEqual([10]);
});

it('a replay page the filter empties does not end the replay', async () => {
  const live = new PushQueue<FeedItem>(100, () => {});
  const pages: FeedItem[][] = [[], [item(2)]];
  let last = 0;
  const feed = new ResumedFeed(
    live,
    async () => {
      const page = pages.shift();
      if (!page) return null;
      last += 1;
      return page;
    },
    (i) => i.event.seq <= last,
  );
  live.push(item(3));
  expect(await take(feed, 2)).toEqual([2, 3]);
});

it('ends at once when the client leaves, even while waiting for live updates', async () => {
  let closed = false;
  const live = new PushQueue<FeedItem>(100, () => (closed = true));
  const feed = new ResumedFeed(
    live,
    async () => null,
    () => false,
  );
  const pending = feed.next();
  await feed.return();
  expect(await pending).toEqual({ value: undefined, done: true });
  expect(closed).toBe(true);
});

describe('cursors', () => {
  it('round-trip and order by (tx, globalSeq) as numbers, not text', () => {
    const a = { tx: '9', globalSeq: '100' };
    const b = { tx: '10', globalSeq: '5' };
    expect(decodeCursor(encodeCursor(a))).toEqual(a);
    expect(isAfter(b, a)).toBe(true);
    expect(isAfter(a, b)).toBe(false);
    expect(isAfter({ tx: '10', globalSeq: '6' }, b)).toBe(true);
  });

  it.each([
    '',
    'not-a-cursor',
    Buffer.from('v1:1:x').toString('base64url'),
    Buffer.from('v1:1:2:3').toString('base64url'),
  ])('refuses %j', (cursor) => expect(decodeCursor(cursor)).toBeNull());
});
