// CaseUpdate.cursor: the position of a timeline row in its account's feed (tx_id, global_seq), opaque to clients.
// Fan-out order is (tx_id, global_seq) below the oldest running transaction (see case-feed.service.ts), so a
// position names a point before which every row of the account has been seen, and after which none has.

export interface FeedPosition {
  tx: string;
  globalSeq: string;
}

const PREFIX = 'v1:';
const DIGITS = /^\d{1,20}$/;

export const encodeCursor = (p: FeedPosition): string =>
  Buffer.from(`${PREFIX}${p.tx}:${p.globalSeq}`, 'utf8').toString('base64url');

/** The position a cursor names; null when it is not one of ours. */
export function decodeCursor(cursor: string): FeedPosition | null {
  if (cursor.length > 100) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(PREFIX)) return null;
  const [tx, globalSeq, ...rest] = text.slice(PREFIX.length).split(':');
  if (rest.length || !tx || !globalSeq || !DIGITS.test(tx) || !DIGITS.test(globalSeq)) return null;
  return { tx, globalSeq };
}

/** Whether `a` comes after `b` in fan-out order. */
export function isAfter(a: FeedPosition, b: FeedPosition): boolean {
  const [atx, btx] = [BigInt(a.tx), BigInt(b.tx)];
  return atx !== btx ? atx > btx : BigInt(a.globalSeq) > BigInt(b.globalSeq);
}
