// Pure helpers shaping the values a case stores: the human's answers, nullish-free records, the idempotency hash.
import type { CaseEntity } from '../../persistence/entities';

/**
 * Stores the human's answer where the agent reads it: goal.knowledge.additionalHumanContext holds the latest answer
 * (as the reference does), and additionalHumanContextHistory keeps every question and answer, since a later
 * question may build on an earlier answer.
 */
export function withHumanContext(
  goal: CaseEntity['goal'],
  question: string | null,
  answer: string,
  at: Date,
): CaseEntity['goal'] {
  const knowledge = goal.knowledge;
  const base: Record<string, unknown> =
    knowledge && typeof knowledge === 'object' && !Array.isArray(knowledge)
      ? { ...(knowledge as Record<string, unknown>) }
      : knowledge != null
        ? { context: knowledge }
        : {};
  const history = Array.isArray(base.additionalHumanContextHistory) ? base.additionalHumanContextHistory : [];
  return {
    ...goal,
    knowledge: {
      ...base,
      additionalHumanContext: answer,
      additionalHumanContextHistory: [...history, { question, text: answer, at: at.toISOString() }],
    },
  };
}

export function stripNullish<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v != null)) as T;
}

/** JSON with sorted keys, so the same input hashes the same whatever the key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  // A Date has no own keys: without this, two different startAt values would hash alike.
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value ?? null);
}
