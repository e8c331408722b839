import { stripQuotedText } from '../../../src/mail/quoted-text.parser';

describe('stripQuotedText', () => {
  it.each([
    [
      'Gmail attribution and > quotes',
      'Yes, approved.\n\nOn Mon, 3 Mar 2025 at 10:00, Ada <case-1@offload.test> wrote:\n> Can you approve?\n> Thanks',
      'Yes, approved.',
    ],
    [
      'an attribution wrapped over two lines',
      'Approved.\n\nOn Mon, 3 Mar 2025 at 10:00, Ada from Acme\n<case-1@offload.test> wrote:\n> Can you approve?',
      'Approved.',
    ],
    ['with CRLF line endings', 'Fine by me.\r\n\r\nOn Tue, Bob wrote:\r\n> earlier\r\n', 'Fine by me.'],
    [
      'a French attribution',
      'Oui, validé.\n\nLe lun. 3 mars 2025 à 10:00, Ada <a@b.c> a écrit :\n> Pouvez-vous valider ?',
      'Oui, validé.',
    ],
    [
      'an Outlook header block',
      'Sure.\n\nFrom: Ada <case-1@offload.test>\nSent: Monday, March 3, 2025 10:00\nTo: Bob\nSubject: Invoice\n\nPlease send it',
      'Sure.',
    ],
    ['an Original Message separator', 'Done.\n\n-----Original Message-----\nFrom: x\n\nold text', 'Done.'],
    ['a signature', 'The total is 120 EUR.\n\n-- \nBob Vendor\nAccounts', 'The total is 120 EUR.'],
  ])('strips the history: %s', (_label, input, expected) => {
    expect(stripQuotedText(input)).toBe(expected);
  });

  it('keeps answers written between quoted lines', () => {
    const text = '> What is the total?\n120 EUR\n> When can you pay?\nFriday';
    const stripped = stripQuotedText(text);
    expect(stripped).toContain('120 EUR');
    expect(stripped).toContain('Friday');
    expect(stripped).not.toContain('What is the total?');
  });

  it('keeps a forwarded message, which may be the answer itself', () => {
    const text =
      'See below.\n\n---------- Forwarded message ---------\nFrom: Accounts <acc@vendor.example>\nDate: Mon, 3 Mar 2025\nSubject: Invoice\n\nInvoice 42 is paid.';
    expect(stripQuotedText(text)).toContain('Invoice 42 is paid.');
  });

  it('returns the whole text when nothing but quotes would remain', () => {
    expect(stripQuotedText('> only a quote\n')).toBe('> only a quote');
  });

  it('leaves a plain reply alone', () => {
    expect(stripQuotedText('Thanks, all good.\nBob')).toBe('Thanks, all good.\nBob');
  });
});
