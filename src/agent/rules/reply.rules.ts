// The rules agent's reply evaluation: an ordered table, first match wins. RULES.md documents the same table.
import type { Decision, Evaluation } from '../../domain/evaluation.types';
import type { CaseContext, ThreadMessage } from '../agent.types';
import { isAnswerPending, latestHumanAnswer } from '../human-context.mapper';
import type { HumanAnswer } from '../human-context.mapper';
import { validateResult } from '../result.validator';
import { isPlainObject } from '../strict-schema.mapper';
import { latestInbound } from '../thread.mapper';
import { relayAnswer, restateRequest } from './compose.templates';
import { COMPLETION_PHRASES, findPhrase, POSTPONEMENT_PHRASES, REFUSAL_PHRASES } from './keyword.rules';
import { extractResult } from './result.extractor';

export interface RuleInput {
  context: CaseContext;
  /** The counterparty's latest message, if any. */
  latest: ThreadMessage | null;
  /** The human's newest answer when it came after the latest message (not acted on yet). */
  pendingAnswer: HumanAnswer | null;
}

export interface ReplyRule {
  id: string;
  decision: Decision;
  apply(input: RuleInput): Evaluation | null;
}

export const POSTPONE_HOURS = 24;

const none = { result: null, question: null, replyBody: null, snoozeHours: null } as const;

export const REPLY_RULES: readonly ReplyRule[] = [
  {
    id: 'human_answer_completes_result',
    decision: 'GOAL_ACHIEVED',
    apply: ({ context, latest, pendingAnswer }) => {
      const schema = context.resultSchema;
      if (!pendingAnswer || !schema) return null;
      const fromHuman = extractResult(pendingAnswer.text, schema);
      if (fromHuman.source === 'none') return null;
      const fromReply = latest ? extractResult(latest.text, schema) : null;
      const result = merge(fromReply?.value, fromHuman.value);
      if (!validateResult(schema, result).ok) return null;
      return { ...none, decision: 'GOAL_ACHIEVED', reason: 'Rule "human_answer_completes_result".', result };
    },
  },
  {
    id: 'human_answer',
    decision: 'REQUIRES_REPLY',
    apply: ({ context, pendingAnswer }) =>
      pendingAnswer && {
        ...none,
        decision: 'REQUIRES_REPLY',
        reason: 'Rule "human_answer": the human answered after the counterparty\'s last message.',
        replyBody: relayAnswer(context),
      },
  },
  {
    id: 'no_reply',
    decision: 'INPUT_NEEDED',
    apply: ({ latest }) =>
      latest === null
        ? {
            ...none,
            decision: 'INPUT_NEEDED',
            reason: 'Rule "no_reply": there is no message from the counterparty to evaluate.',
            question: 'There is no reply from the counterparty to evaluate. What should happen next?',
          }
        : null,
  },
  {
    id: 'refusal',
    decision: 'FAILED_REJECTED',
    apply: ({ latest }) => {
      const phrase = latest && findPhrase(latest.text, REFUSAL_PHRASES);
      return phrase ? { ...none, decision: 'FAILED_REJECTED', reason: matched('refusal', phrase) } : null;
    },
  },
  {
    id: 'postponement',
    decision: 'SNOOZE',
    apply: ({ latest }) => {
      const phrase = latest && findPhrase(latest.text, POSTPONEMENT_PHRASES);
      return phrase
        ? { ...none, decision: 'SNOOZE', reason: matched('postponement', phrase), snoozeHours: POSTPONE_HOURS }
        : null;
    },
  },
  {
    id: 'completion',
    decision: 'GOAL_ACHIEVED',
    apply: ({ context, latest }) => latest && completion(context, latest),
  },
  {
    id: 'question',
    decision: 'INPUT_NEEDED',
    apply: ({ latest }) => {
      const questions = latest ? questionSentences(latest.text) : [];
      if (questions.length === 0) return null;
      return {
        ...none,
        decision: 'INPUT_NEEDED',
        reason: 'Rule "question": the counterparty asked a question.',
        question: questions.join(' '),
      };
    },
  },
  {
    id: 'otherwise',
    decision: 'REQUIRES_REPLY',
    apply: ({ context }) => ({
      ...none,
      decision: 'REQUIRES_REPLY',
      reason: 'Rule "otherwise": no other rule matched; restating the request.',
      replyBody: restateRequest(context),
    }),
  },
];

export function evaluateByRules(context: CaseContext): Evaluation {
  const latest = latestInbound(context.thread);
  const answer = latestHumanAnswer(context.goal.knowledge);
  const input: RuleInput = {
    context,
    latest,
    pendingAnswer: answer && isAnswerPending(answer, context.thread) ? answer : null,
  };
  for (const rule of REPLY_RULES) {
    const evaluation = rule.apply(input);
    if (evaluation) return evaluation;
  }
  // The last rule always matches; this only satisfies the compiler.
  throw new Error('rules agent: no rule matched');
}

/** A result line, schema fields or completion words: done, provided the result validates. */
function completion(context: CaseContext, latest: ThreadMessage): Evaluation | null {
  const schema = context.resultSchema;
  const extraction = extractResult(latest.text, schema);
  const phrase = findPhrase(latest.text, COMPLETION_PHRASES);
  if (extraction.source === 'none' && !phrase) return null;
  const why = phrase
    ? matched('completion', phrase)
    : `Rule "completion": the reply gives a result (${extraction.source}).`;
  if (!schema) {
    const result = extraction.source === 'json' ? extraction.value : { summary: firstLine(latest.text) };
    return { ...none, decision: 'GOAL_ACHIEVED', reason: why, result };
  }
  const result = extraction.value ?? {};
  const outcome = validateResult(schema, result);
  if (outcome.ok) return { ...none, decision: 'GOAL_ACHIEVED', reason: why, result };
  const missing =
    outcome.missing.length > 0 ? `these fields are missing: ${outcome.missing.join(', ')}` : outcome.message;
  return {
    ...none,
    decision: 'INPUT_NEEDED',
    reason: `${why} But the result does not match the result schema: ${outcome.message}`,
    question:
      `The counterparty's reply suggests the goal is done ("${firstLine(latest.text)}"), but the result is ` +
      `incomplete: ${missing}. Please provide them (one "field: value" per line).`,
  };
}

/** The counterparty's own question sentences, so the human sees exactly what was asked. */
export function questionSentences(text: string): string[] {
  return text
    .split(/\n+/)
    .flatMap((line) => line.split(/(?<=[.!?])\s+/))
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence.includes('?'));
}

/** The human's values win over the reply's: they answered our question about exactly those fields. */
function merge(base: unknown, overlay: unknown): unknown {
  return isPlainObject(base) && isPlainObject(overlay) ? { ...base, ...overlay } : overlay;
}

function matched(rule: string, phrase: string): string {
  return `Rule "${rule}": the reply contains "${phrase}".`;
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find(Boolean) ?? ''
  );
}
