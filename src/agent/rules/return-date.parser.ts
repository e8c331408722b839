// When an absent or busy person will be back: the latest future date a reply names ("until Monday, March 17",
// "back on the 18th", "by Friday"), read with chrono-node relative to when the reply arrived.
import * as chrono from 'chrono-node';

/** A snooze never shorter than an hour nor longer than this, whatever a reply claims. */
export const MAX_SNOOZE_HOURS = 24 * 45;

/** Hours from `receivedAt` to the latest future date in the text, or null when it names none. */
export function hoursUntilNamedDate(text: string, receivedAt: Date): number | null {
  let latest: Date | null = null;
  for (const result of chrono.parse(text, receivedAt, { forwardDate: true })) {
    const date = (result.end ?? result.start).date();
    if (date.getTime() > receivedAt.getTime() && (latest === null || date > latest)) latest = date;
  }
  if (latest === null) return null;
  const hours = Math.ceil((latest.getTime() - receivedAt.getTime()) / 3_600_000);
  return Math.min(Math.max(hours, 1), MAX_SNOOZE_HOURS);
}
