// Headers every outbound mail carries, whatever the transport.
//
// `X-Auto-Response-Suppress: OOF, AutoReply` asks Exchange and Outlook not to answer with out-of-office notices or
// rule-based auto-replies, the usual start of a mail loop. Not `All`: that also suppresses non-delivery reports,
// and a bounce is how a case learns its address is dead.
//
// Deliberately absent: `Auto-Submitted: auto-generated` and `Precedence: bulk`. They would silence RFC 3834
// responders too, but our mail is one-to-one correspondence written for a person, and helpdesk and ticketing
// systems (where many counterparties read their mail) drop or deprioritise messages marked as automatic, so the
// request might never reach a human. Loops are broken on the receiving side instead: auto-replies are recognised
// (auto-reply.parser.ts) and never answered.
export const OUTBOUND_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-Auto-Response-Suppress': 'OOF, AutoReply',
});
