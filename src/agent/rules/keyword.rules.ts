// The phrase lists behind the rules agent, kept as data so RULES.md and the code cannot drift far apart.
// Matching is case-insensitive and on whole words ("later" does not match "translater"); a phrase may be a
// regular expression source when it is marked with a leading "~" (for "by friday", "until the 18th" and the like).

/** Auto-replies and absences: the person is away; read the return date when there is one. */
export const AWAY_PHRASES = [
  'out of office',
  'out of the office',
  'on vacation',
  'on holiday',
  'on leave',
  'maternity leave',
  'paternity leave',
  'on pto',
  'automatic reply',
  'auto-reply',
  'autoreply',
  'away until',
  "i'm away",
  'i am away',
  'limited access to email',
  'no access to email',
  'will return on',
  'back in the office',
  'office is closed',
  'we have received your message',
  'will respond within',
  'processed within',
  'travelling for work',
  'traveling for work',
] as const;

/** Refusals that end the case whatever else the reply says. */
export const REFUSAL_PHRASES = [
  'not interested',
  'unsubscribe',
  'stop emailing',
  'stop contacting',
  'do not contact',
  "don't contact",
  'remove me',
  'remove us',
  'take us off',
  'take me off',
  'decline',
  'declined',
  'no thanks',
  'no, thanks',
  'no thank you',
  'refuse',
  'refused',
  'not going to',
  'decided not to',
  'no longer work with',
  'withdraw from',
  'policy not to',
  'not be joining',
  '~(?:no one|nobody)\\b[^.]{0,30}\\b(?:can|will|is able)',
  'skipping',
  '~(?:will|would) not be (?:providing|shipping|sending|joining|attending|issuing)',
  '~(?:we|i) do not (?:provide|share|disclose|respond to|give out)',
  "~(?:cannot|can't|can not|unable to|not able to) (?:provide|share|disclose|confirm|help|send)",
  '~(?:was|been|is) (?:cancelled|canceled|discontinued)',
  '~no record of',
] as const;

/** Phrases that only refuse when the sentence sets no condition ("cannot release it until it is paid" is a demand). */
export const CONDITIONS = [
  'until',
  'unless',
  'without',
  'if',
  'before',
  'once',
  'beyond',
  'except',
  'other than',
] as const;

/** The person asks us to talk to someone else: changing the recipient is the client's call. */
export const REDIRECT_PHRASES = [
  'not the right contact',
  'not the right person',
  'wrong person',
  'no longer at',
  'no longer with',
  'left the company',
  '~\\bleft \\w+ (?:last|this) (?:week|month|year)',
  'has been sold',
  'please contact',
  'please reach out to',
  'reach out to our',
  'contact their',
  'try their',
  'go through',
  'direct questions to',
  'use the supplier portal',
  '~please use (?:the|our) \\w+ portal',
] as const;

/** Later, not now: a promise, a hand-over inside their company, or waiting on someone. */
export const POSTPONEMENT_PHRASES = [
  'next week',
  'later',
  'get back to you',
  'back to you',
  'circle back',
  'let you know',
  'let me check',
  'let me ask',
  'checking with',
  'check with',
  'waiting on',
  'waiting for',
  'still collecting',
  'working on it',
  'should have it',
  'should know',
  'shortly',
  'asap',
  'tomorrow',
  'tonight',
  'this afternoon',
  'a day or two',
  'couple of days',
  'few days',
  'business days',
  'end of week',
  'end of the week',
  'end of the month',
  'end of day',
  'passing this',
  'passed this',
  'forwarding',
  'looping in',
  'asked our',
  'not been created yet',
  'will do',
  'when i return',
  "when i'm back",
  'when i am back',
  'once she is back',
  'once he is back',
  "~(?:i|we|they|he|she)(?:'ll| will| shall) (?:send|get|have|reply|respond|look|follow|confirm|take care|process|forward|issue|email|call|check|ask|be in touch)",
  "~\\b(?:i|we)(?:'ll| will) (?:let|send)",
  '~\\bwill (?:send|be issued|follow)',
  '~\\b(?:by|until|till|before) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|the \\d{1,2}(?:st|nd|rd|th)?)',
] as const;

/** The thing is done or given. */
export const COMPLETION_PHRASES = [
  'attached',
  'attaching',
  'enclosed',
  'please find',
  'see attached',
  'here is',
  'here are',
  "here's",
  'here you go',
  'confirmed',
  'i can confirm',
  'can confirm',
  'done',
  'sent',
  'just signed',
  'signed it',
  'submitted',
  'uploaded',
  'emailed',
  'all set',
  'in your inbox',
  'yes',
] as const;

/** Words that claim a file came with the mail; with no file in the thread, the reply says the attachment is missing. */
export const ATTACHMENT_CLAIMS = ['attached', 'attaching', 'enclosed', 'please find', 'see attached'] as const;

/** The first phrase of the list found in the text, or null. */
export function findPhrase(text: string, phrases: readonly string[]): string | null {
  const normalized = normalizeText(text);
  return phrases.find((phrase) => phraseRegex(phrase).test(normalized)) ?? null;
}

export function normalizeText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/\s+/g, ' ');
}

const cache = new Map<string, RegExp>();

function phraseRegex(phrase: string): RegExp {
  let regex = cache.get(phrase);
  if (regex) return regex;
  const source = phrase.startsWith('~')
    ? phrase.slice(1)
    : phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
  regex = new RegExp(`(?<![\\w'])(?:${source})(?![\\w'])`);
  cache.set(phrase, regex);
  return regex;
}
