// Small readers over a case thread shared by the prompts and the rules agent.
import type { ThreadMessage } from './agent.types';

/** The counterparty's most recent message: what an evaluation is about. */
export function latestInbound(thread: readonly ThreadMessage[]): ThreadMessage | null {
  let latest: ThreadMessage | null = null;
  for (const message of thread) {
    if (message.direction === 'inbound' && (latest === null || message.at >= latest.at)) latest = message;
  }
  return latest;
}

/** The subject the conversation started with, so follow-ups and replies stay in one thread for the reader. */
export function threadSubject(thread: readonly ThreadMessage[]): string | null {
  const first = thread.find((message) => message.direction === 'outbound' && message.subject);
  return first?.subject ?? null;
}

/** "Re: x" once, however many times the subject has already been prefixed. */
export function replySubject(subject: string): string {
  return /^\s*re\s*:/i.test(subject) ? subject.trim() : `Re: ${subject.trim()}`;
}
