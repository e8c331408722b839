// The send window as a table: where the next open slot falls for a time, a zone and a window, across DST changes
// in both directions, windows that cross midnight, leap days, and windows refused because they never open.
import { nextOpenSlot, sendWindowProblems, type SendWindow } from '../../../src/domain/send-window.policy';

const window = (overrides: Partial<SendWindow>): SendWindow => ({
  days: ['MON', 'TUE', 'WED', 'THU', 'FRI'],
  start: '09:00',
  end: '17:00',
  timezone: 'UTC',
  ...overrides,
});

describe('nextOpenSlot', () => {
  const table: [string, string, SendWindow | null, string][] = [
    ['no window: at once', '2026-06-07T03:00:00Z', null, '2026-06-07T03:00:00Z'],
    ['inside the window: at once', '2026-06-03T10:15:00Z', window({}), '2026-06-03T10:15:00Z'],
    ['at the opening: at once', '2026-06-03T09:00:00Z', window({}), '2026-06-03T09:00:00Z'],
    ['at the closing: the next day', '2026-06-03T17:00:00Z', window({}), '2026-06-04T09:00:00Z'],
    ['Friday evening: Monday', '2026-06-05T18:00:00Z', window({}), '2026-06-08T09:00:00Z'],
    [
      'Sunday 3 a.m. in Paris (summer, +02:00): Monday 09:00 Paris',
      '2026-06-07T01:00:00Z',
      window({ timezone: 'Europe/Paris' }),
      '2026-06-08T07:00:00Z',
    ],
    [
      'same instant, New York: Monday 09:00 EDT',
      '2026-06-07T01:00:00Z',
      window({ timezone: 'America/New_York' }),
      '2026-06-08T13:00:00Z',
    ],
    // Crossing midnight: the window belongs to the day it opens on.
    [
      '22:00-06:00 on MON, Tuesday 03:00: still open',
      '2026-06-09T03:00:00Z',
      window({ days: ['MON'], start: '22:00', end: '06:00' }),
      '2026-06-09T03:00:00Z',
    ],
    [
      '22:00-06:00 on MON, Tuesday 06:00: next Monday 22:00',
      '2026-06-09T06:00:00Z',
      window({ days: ['MON'], start: '22:00', end: '06:00' }),
      '2026-06-15T22:00:00Z',
    ],
    [
      '22:00-06:00 on MON, Monday 21:00: Monday 22:00',
      '2026-06-08T21:00:00Z',
      window({ days: ['MON'], start: '22:00', end: '06:00' }),
      '2026-06-08T22:00:00Z',
    ],
    [
      '22:00-06:00 on SUN, Sunday 23:00 in Tokyo: open',
      '2026-06-07T14:00:00Z',
      window({ days: ['SUN'], start: '22:00', end: '06:00', timezone: 'Asia/Tokyo' }),
      '2026-06-07T14:00:00Z',
    ],
    // DST forward (New York, Sunday 2026-03-08, 02:00 EST -> 03:00 EDT).
    [
      'spring forward: a 02:30 opening that does not exist moves to 03:30 EDT',
      '2026-03-08T06:00:00Z',
      window({ days: ['SUN'], start: '02:30', end: '05:00', timezone: 'America/New_York' }),
      '2026-03-08T07:30:00Z',
    ],
    [
      'spring forward: 02:00-03:00 is empty that night, so the next Sunday',
      '2026-03-08T06:00:00Z',
      window({ days: ['SUN'], start: '02:00', end: '03:00', timezone: 'America/New_York' }),
      '2026-03-15T06:00:00Z',
    ],
    [
      'spring forward: a 09:00 opening is 09:00 EDT (13:00Z, was 14:00Z a week before)',
      '2026-03-08T10:00:00Z',
      window({ days: ['SUN'], timezone: 'America/New_York' }),
      '2026-03-08T13:00:00Z',
    ],
    [
      'Paris spring forward: Monday after is 09:00 CEST',
      '2026-03-28T12:00:00Z',
      window({ timezone: 'Europe/Paris' }),
      '2026-03-30T07:00:00Z',
    ],
    // DST back (New York, Sunday 2026-11-01, 02:00 EDT -> 01:00 EST).
    [
      'fall back: an ambiguous 01:30 opening is the first one (EDT)',
      '2026-11-01T04:00:00Z',
      window({ days: ['SUN'], start: '01:30', end: '03:00', timezone: 'America/New_York' }),
      '2026-11-01T05:30:00Z',
    ],
    [
      'fall back: a 09:00 opening is 09:00 EST (14:00Z)',
      '2026-11-01T05:00:00Z',
      window({ days: ['SUN'], timezone: 'America/New_York' }),
      '2026-11-01T14:00:00Z',
    ],
    [
      'fall back: 22:00-06:00 over the long night closes at 06:00 EST',
      '2026-11-01T10:59:00Z',
      window({ days: ['SAT'], start: '22:00', end: '06:00', timezone: 'America/New_York' }),
      '2026-11-01T10:59:00Z',
    ],
    [
      'fall back: ... and is shut at 06:00 EST until next Saturday 22:00 EST',
      '2026-11-01T11:00:00Z',
      window({ days: ['SAT'], start: '22:00', end: '06:00', timezone: 'America/New_York' }),
      '2026-11-08T03:00:00Z',
    ],
    [
      'Paris fall back: Monday after is 09:00 CET',
      '2026-10-24T12:00:00Z',
      window({ timezone: 'Europe/Paris' }),
      '2026-10-26T08:00:00Z',
    ],
    // Leap days (2028-02-29 is a Tuesday).
    [
      'leap day: Monday 28 Feb evening opens on Tuesday 29 Feb',
      '2028-02-28T18:00:00Z',
      window({ days: ['TUE'] }),
      '2028-02-29T09:00:00Z',
    ],
    [
      'leap day: after it, the next Tuesday is 7 March',
      '2028-02-29T18:00:00Z',
      window({ days: ['TUE'] }),
      '2028-03-07T09:00:00Z',
    ],
    [
      'leap day: a window opening on 29 Feb crosses into 1 March',
      '2028-03-01T05:00:00Z',
      window({ days: ['TUE'], start: '22:00', end: '06:00' }),
      '2028-03-01T05:00:00Z',
    ],
    [
      'leap day in Auckland (UTC+13): 29 Feb 09:00 local is 28 Feb 20:00Z',
      '2028-02-28T12:00:00Z',
      window({ days: ['TUE'], timezone: 'Pacific/Auckland' }),
      '2028-02-28T20:00:00Z',
    ],
    [
      'every day, 00:00-23:59: only the last minute waits',
      '2026-06-07T23:59:30Z',
      window({ days: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'], start: '00:00', end: '23:59' }),
      '2026-06-08T00:00:00Z',
    ],
  ];

  it.each(table)('%s', (_name, at, win, expected) => {
    expect(nextOpenSlot(new Date(at), win).toISOString()).toBe(new Date(expected).toISOString());
  });

  it('never returns a time before the one given', () => {
    const win = window({ days: ['WED'], start: '23:00', end: '01:00', timezone: 'Australia/Lord_Howe' });
    for (let t = Date.parse('2026-01-01T00:00:00Z'); t < Date.parse('2026-12-31T00:00:00Z'); t += 7 * 3_600_000 + 13) {
      const slot = nextOpenSlot(new Date(t), win);
      expect(slot.getTime()).toBeGreaterThanOrEqual(t);
      expect(nextOpenSlot(slot, win).getTime()).toBe(slot.getTime());
    }
  });
});

describe('sendWindowProblems', () => {
  const table: [string, Parameters<typeof sendWindowProblems>[0], string[]][] = [
    ['a good window', window({}), []],
    ['no days: never opens', window({ days: [] }), ['days']],
    ['start equal to end: never opens', window({ start: '09:00', end: '09:00' }), ['end']],
    ['an unknown day', { ...window({}), days: ['MON', 'FUNDAY'] }, ['days.1']],
    ['a time that is no time', window({ start: '24:00', end: '9:00' }), ['start', 'end']],
    ['an unknown zone', window({ timezone: 'Mars/Olympus_Mons' }), ['timezone']],
  ];
  it.each(table)('%s', (_name, win, paths) => {
    expect(sendWindowProblems(win).map((p) => p.path)).toEqual(paths);
  });
});
