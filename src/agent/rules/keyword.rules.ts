// The phrase lists behind the rules agent, kept as data so RULES.md and the code cannot drift far apart.
// Matching is case-insensitive and on whole words ("later" does not match "translater").

export const REFUSAL_PHRASES = [
  'not interested',
  'unsubscribe',
  'stop emailing',
  'stop contacting',
  'do not contact',
  "don't contact",
  'remove me',
  'decline',
  'declined',
  'no thanks',
  'no, thanks',
  'no thank you',
  'refuse',
  'refused',
] as const;

export const POSTPONEMENT_PHRASES = [
  'out of office',
  'out of the office',
  'on vacation',
  'on holiday',
  'on leave',
  'next week',
  'later',
  'get back to you',
  'circle back',
] as const;

export const COMPLETION_PHRASES = [
  'attached',
  'here is',
  'here are',
  "here's",
  'please find',
  'confirmed',
  'done',
  'yes',
] as const;

/** The first phrase of the list found in the text, or null. */
export function findPhrase(text: string, phrases: readonly string[]): string | null {
  const normalized = normalizeText(text);
  return phrases.find((phrase) => phraseRegex(phrase).test(normalized)) ?? null;
}

export function normalizeText(text: string): string {
  return text.toLowerCase().replace(/[\u2018\u2019\u02bc]/g, "'");
}

function phraseRegex(phrase: string): RegExp {
  const escaped = phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
  return new RegExp(`(?<![\\w'])${escaped}(?![\\w'])`);
}
