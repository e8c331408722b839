// The opt-out and opt-in keywords of US carriers and Twilio's built-in handling (Advanced Opt-Out's defaults): a text
// whose whole trimmed body is one of them, in any case. "Stop it please" is a reply, not a keyword.
const STOP_WORDS: ReadonlySet<string> = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
const START_WORDS: ReadonlySet<string> = new Set(['START', 'YES', 'UNSTOP']);

export type SmsKeyword = 'stop' | 'start' | null;

export function smsKeyword(body: string): SmsKeyword {
  const word = body.trim().toUpperCase();
  if (STOP_WORDS.has(word)) return 'stop';
  if (START_WORDS.has(word)) return 'start';
  return null;
}
