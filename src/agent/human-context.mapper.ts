// The human's answers live in goal.knowledge.additionalHumanContext (see REFERENCE.md, "provide-case-input").
// Its shape is not fixed by the reference, so we read the plausible ones: a string, `{ text, at }` (also
// answer/providedContext and answeredAt/providedAt/createdAt), or an array of those, oldest first. Our own
// submitInput keeps the latest answer there as a string (as the reference does) and every answer, with its time,
// in additionalHumanContextHistory, which is preferred when present.
import type { ThreadMessage } from './agent.types';
import { isPlainObject } from './strict-schema.mapper';
import { latestInbound } from './thread.mapper';

export interface HumanAnswer {
  text: string;
  /** When the human answered; null when the stored context carries no time. */
  at: Date | null;
}

const TEXT_KEYS = ['text', 'answer', 'providedContext', 'context'] as const;
const TIME_KEYS = ['at', 'answeredAt', 'providedAt', 'createdAt'] as const;

export function humanAnswers(knowledge: unknown): HumanAnswer[] {
  if (!isPlainObject(knowledge)) return [];
  const history = knowledge.additionalHumanContextHistory;
  const raw = Array.isArray(history) && history.length ? history : knowledge.additionalHumanContext;
  const entries = Array.isArray(raw) ? raw : [raw];
  return entries.map(toAnswer).filter((answer): answer is HumanAnswer => answer !== null);
}

export function latestHumanAnswer(knowledge: unknown): HumanAnswer | null {
  const answers = humanAnswers(knowledge);
  return answers[answers.length - 1] ?? null;
}

/** The knowledge minus the human's answers, which prompts render in a section of their own. */
export function knowledgeWithoutHumanContext(knowledge: unknown): unknown {
  if (!isPlainObject(knowledge)) return knowledge;
  if (!('additionalHumanContext' in knowledge) && !('additionalHumanContextHistory' in knowledge)) return knowledge;
  const copy = { ...knowledge };
  delete copy.additionalHumanContext;
  delete copy.additionalHumanContextHistory;
  return Object.keys(copy).length > 0 ? copy : null;
}

/**
 * Whether the human answered after the counterparty's last message, i.e. the answer has not been acted on yet.
 * Without a time we infer it from the thread: an answer already relayed appears verbatim in one of our messages.
 */
export function isAnswerPending(answer: HumanAnswer, thread: readonly ThreadMessage[]): boolean {
  const inbound = latestInbound(thread);
  if (inbound === null) return true;
  if (answer.at !== null) return answer.at.getTime() > inbound.at.getTime();
  const needle = squash(answer.text);
  return !thread.some((message) => message.direction === 'outbound' && squash(message.text).includes(needle));
}

function toAnswer(entry: unknown): HumanAnswer | null {
  if (typeof entry === 'string') return entry.trim() ? { text: entry.trim(), at: null } : null;
  if (!isPlainObject(entry)) return null;
  const text = TEXT_KEYS.map((key) => entry[key]).find((value) => typeof value === 'string' && value.trim());
  if (typeof text !== 'string') return null;
  return { text: text.trim(), at: toDate(TIME_KEYS.map((key) => entry[key]).find((value) => value != null)) };
}

function toDate(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}
