// When a message may leave: a weekly window in the counterparty's wall-clock time. Pure date math.
// Layering exception (agreed for this one file): the domain imports `luxon` here, because time-zone rules (DST
// transitions, offsets that changed over the years) must come from the IANA database, never from hand-rolled
// offsets. Luxon is a pure library: no I/O, no clock of its own (every function here takes `at`).
import { DateTime } from 'luxon';

export const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A weekly send window: on each of `days`, from `start` to `end` ("HH:MM" local time in `timezone`). */
export interface SendWindow {
  days: Weekday[];
  start: string;
  /** Earlier than `start`: the window crosses midnight and closes on the next day (22:00-06:00). */
  end: string;
  /** IANA zone, already resolved (window's own, else the counterparty's, else UTC). */
  timezone: string;
}

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Why a window cannot be used, per field; empty when it can. A window that never opens is refused here. */
export function sendWindowProblems(window: {
  days: readonly string[];
  start: string;
  end: string;
  timezone: string;
}): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (!window.days.length)
    problems.push({ path: 'days', message: 'must name at least one day: the window never opens' });
  for (const [i, day] of window.days.entries())
    if (!(WEEKDAYS as readonly string[]).includes(day))
      problems.push({ path: `days.${i}`, message: `must be one of ${WEEKDAYS.join(', ')}` });
  if (!HH_MM.test(window.start)) problems.push({ path: 'start', message: 'must be a time "HH:MM" (00:00 to 23:59)' });
  if (!HH_MM.test(window.end)) problems.push({ path: 'end', message: 'must be a time "HH:MM" (00:00 to 23:59)' });
  else if (window.start === window.end)
    problems.push({ path: 'end', message: 'must differ from start: an empty window never opens' });
  if (!DateTime.local({ zone: window.timezone }).isValid)
    problems.push({ path: 'timezone', message: 'must be an IANA time zone such as Europe/Paris' });
  return problems;
}

const minutesOf = (hhmm: string): { hour: number; minute: number } => {
  const match = HH_MM.exec(hhmm);
  if (!match) throw new Error(`invalid time ${hhmm}`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
};

/**
 * The first moment at or after `at` when the window is open: `at` itself when it is open now, else the next
 * opening. No window: `at`. A local time that does not exist (skipped by a DST change) moves forward by the gap
 * (02:30 becomes 03:30, as luxon resolves it); an ambiguous one (repeated by a DST change) is its first occurrence.
 */
export function nextOpenSlot(at: Date, window: SendWindow | null): Date {
  if (!window) return at;
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  const crossesMidnight = end.hour * 60 + end.minute < start.hour * 60 + start.minute;
  const t = at.getTime();
  const today = DateTime.fromJSDate(at, { zone: window.timezone }).startOf('day');
  // Yesterday's window may still be open (it crosses midnight); a week and a day ahead always holds an opening.
  for (let offset = -1; offset <= 8; offset++) {
    const day = today.plus({ days: offset });
    if (!window.days.includes(WEEKDAYS[day.weekday - 1]!)) continue;
    const opens = day.set({ hour: start.hour, minute: start.minute }).toMillis();
    const closes = (crossesMidnight ? day.plus({ days: 1 }) : day)
      .set({ hour: end.hour, minute: end.minute })
      .toMillis();
    // A DST change can shorten a window to nothing (02:00-03:00 on the night the clocks skip that hour).
    if (closes <= opens || closes <= t) continue;
    return new Date(Math.max(opens, t));
  }
  throw new Error('a send window with at least one day opens within a week');
}
