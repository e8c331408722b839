// Recognises auto-replies (out-of-office notices, autoresponders, list and bulk mail) so that they are never
// answered: two autoresponders answering each other is a mail loop (SPEC §9). Headers decide; a subject pattern is
// only a secondary signal, for autoresponders that set none of the headers, and only in the forms mail clients
// generate ("Automatic reply:", "Out of Office:", "Auto:"), never a word anywhere in the subject.

/** Header values by lower-case name (first value when repeated). */
export type HeaderLookup = (name: string) => string | null | undefined;

export interface AutoReplyVerdict {
  autoReply: boolean;
  /** Which signal decided, for the timeline. */
  signal: string | null;
}

const PRECEDENCE = new Set(['auto_reply', 'bulk', 'junk', 'list']);
const SUBJECT =
  /^\s*(auto(matic|matische)?[ -]?(reply|response|antwort|r[ée]ponse)|autoreply|out of (the )?office|abwesenheitsnotiz|r[ée]ponse automatique|auto)\s*:/i;

export function detectAutoReply(header: HeaderLookup, subject: string | null | undefined): AutoReplyVerdict {
  const yes = (signal: string): AutoReplyVerdict => ({ autoReply: true, signal });
  // RFC 3834: anything but "no" (auto-generated, auto-replied, auto-notified, with or without parameters).
  const autoSubmitted = header('auto-submitted')?.split(';', 1)[0]?.trim().toLowerCase();
  if (autoSubmitted && autoSubmitted !== 'no') return yes(`Auto-Submitted: ${autoSubmitted}`);
  if (header('x-autoreply')) return yes('X-Autoreply');
  if (header('x-autorespond')) return yes('X-Autorespond');
  const precedence = header('precedence')?.trim().toLowerCase();
  if (precedence && PRECEDENCE.has(precedence)) return yes(`Precedence: ${precedence}`);
  // RFC 3834 §2: responders must not answer list mail either.
  if (header('list-id')) return yes('List-Id');
  if (subject && SUBJECT.test(subject)) return yes('subject');
  return { autoReply: false, signal: null };
}
