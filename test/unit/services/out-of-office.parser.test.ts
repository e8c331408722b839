// The return date an out-of-office note gives, read with chrono-node in the counterparty's zone.
import { readReturnDate } from '../../../src/services/inbound/out-of-office.parser';

const received = new Date('2027-01-15T10:00:00.000Z'); // a Friday

it.each([
  ['until a named date', 'I am out of the office until Friday, January 22, 2027.', '2027-01-22'],
  [
    'the later of two dates (away until, back on)',
    'Away until January 22 and back in the office on Monday January 25.',
    '2027-01-25',
  ],
  ['a weekday', 'I will be back on Tuesday.', '2027-01-19'],
])('reads %s', (_label, text, day) => {
  expect(readReturnDate(text, received, 'UTC')?.toISOString().slice(0, 10)).toBe(day);
});

it('reads the date in the counterparty zone', () => {
  // "the 20th" in Auckland (UTC+13) starts on the 19th in UTC.
  const date = readReturnDate('Back on January 20th at 9am.', received, 'Pacific/Auckland');
  expect(date?.toISOString()).toBe('2027-01-19T20:00:00.000Z');
});

it.each([
  ['no date at all', 'Thank you for your message, I will answer soon.'],
  ['only a date in the past', 'I was away from January 2 to January 6.'],
  ['a date too far ahead to be a holiday', 'Back on 1 January 2029.'],
])('gives nothing for %s', (_label, text) => {
  expect(readReturnDate(text, received, 'UTC')).toBeNull();
});
