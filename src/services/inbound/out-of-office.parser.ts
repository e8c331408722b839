// The date an automatic answer says its sender is back ("out of office until 4 December, back on Monday 7"),
// read with chrono-node in the counterparty's zone: the latest date it names after it arrived, within a horizon.
import * as chrono from 'chrono-node';
import { DateTime } from 'luxon';
// (src/agent/rules/return-date.parser.ts reads a snooze length for the rules agent; this one gives a date, in a zone.)

/** An absence longer than this is more likely a misread than a holiday. */
const HORIZON_DAYS = 120;
/** Out-of-office notes say it early; the rest is quoted history or signature. */
const MAX_TEXT = 2_000;

export function readReturnDate(text: string, receivedAt: Date, timezone: string | null): Date | null {
  // chrono takes the zone as an offset in minutes at the reference instant; luxon gives it from the IANA zone.
  const zone = DateTime.fromJSDate(receivedAt, { zone: timezone ?? 'UTC' });
  const reference = { instant: receivedAt, timezone: zone.isValid ? zone.offset : 0 };
  const results = chrono.parse(text.slice(0, MAX_TEXT), reference, { forwardDate: true });
  const horizon = receivedAt.getTime() + HORIZON_DAYS * 86_400_000;
  const dates = results
    .map((r) => (r.end ?? r.start).date())
    .filter((d) => d.getTime() > receivedAt.getTime() && d.getTime() <= horizon);
  if (!dates.length) return null;
  return new Date(Math.max(...dates.map((d) => d.getTime())));
}
