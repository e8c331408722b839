// Which headers mark a mail as an automatic answer (RFC 3834 and the usual vendor headers), as a table.
import { isAutoReplyHeaders } from '../../../src/mail/auto-reply-headers.parser';

const table: [string, Record<string, string> | Map<string, unknown> | null, boolean][] = [
  ['no headers', null, false],
  ['a person writing', { Subject: 'Re: W-9', 'Auto-Submitted': 'no' }, false],
  ['Auto-Submitted: auto-replied', { 'Auto-Submitted': 'auto-replied' }, true],
  ['Auto-Submitted: auto-generated with parameters', { 'auto-submitted': 'auto-generated; owner-email="a@b"' }, true],
  ['X-Autoreply', { 'X-Autoreply': 'yes' }, true],
  ['X-Autorespond', { 'X-Autorespond': 'Out of office' }, true],
  ['Precedence: auto_reply', { Precedence: 'auto_reply' }, true],
  ['Precedence: bulk', { Precedence: 'Bulk' }, true],
  ['Precedence: junk', { Precedence: 'junk' }, true],
  ['Precedence: list (a mailing list, not an auto-reply)', { Precedence: 'list' }, false],
  [
    "mailparser's map with a structured value",
    new Map<string, unknown>([['auto-submitted', { value: 'auto-replied', params: {} }]]),
    true,
  ],
];

it.each(table)('%s', (_label, headers, expected) => {
  expect(isAutoReplyHeaders(headers)).toBe(expected);
});
