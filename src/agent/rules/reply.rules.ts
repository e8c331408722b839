// The rules agent's reply evaluation: an ordered table, first match wins. RULES.md documents the same table.
import type { Decision, Evaluation } from '../../domain/evaluation.types';
import type { CaseContext, ContextAttachment, ThreadMessage } from '../agent.types';
import { isAnswerPending, latestHumanAnswer } from '../human-context.mapper';
import type { HumanAnswer } from '../human-context.mapper';
import { validateResult } from '../result.validator';
import { isPlainObject } from '../strict-schema.mapper';
import { latestInbound } from '../thread.mapper';
import { relayAnswer, restateRequest } from './compose.templates';
import {
  ATTACHMENT_CLAIMS,
  AWAY_PHRASES,
  COMPLETION_PHRASES,
  findPhrase,
  POSTPONEMENT_PHRASES,
  REDIRECT_PHRASES,
  REFUSAL_PHRASES,
} from './keyword.rules';
import { answerFromKnowledge } from './knowledge.rules';
import { extractResult } from './result.extractor';
import {
  attachmentsOf,
  findInStatements,
  findRefusal,
  isDocument,
  nameMatchesObjective,
  ourOwnText,
  questionSentences,
  readableText,
  readSchemaResult,
} from './reply-signal.extractor';
import type { SchemaReading } from './reply-signal.extractor';
import { hoursUntilNamedDate } from './return-date.parser';

export interface RuleInput {
  context: CaseContext;
  /** The counterparty's latest message, if any. */
  latest: ThreadMessage | null;
  /** The human's newest answer when it came after the latest message (not acted on yet). */
  pendingAnswer: HumanAnswer | null;
  /** Attachments that came with the latest message. */
  files: ContextAttachment[];
  /** The case's resultSchema read from the latest message and its attachments; null without a schema or reply. */
  reading: SchemaReading | null;
}

export interface ReplyRule {
  id: string;
  decision: Decision;
  apply(input: RuleInput): Evaluation | null;
}

/** Snooze length when a postponement names no date. */
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
      const fromReply = latest ? readSchemaResult(latest.text, schema, ourOwnText(context)).value : null;
      const result = merge(fromReply, fromHuman.value);
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
    id: 'away',
    decision: 'SNOOZE',
    apply: ({ latest }) => {
      const phrase = latest && findPhrase(latest.text, AWAY_PHRASES);
      return phrase ? snooze('away', phrase, latest) : null;
    },
  },
  {
    id: 'refusal',
    decision: 'FAILED_REJECTED',
    apply: ({ latest }) => {
      const phrase = latest && findRefusal(latest.text, REFUSAL_PHRASES);
      return phrase ? { ...none, decision: 'FAILED_REJECTED', reason: matched('refusal', phrase) } : null;
    },
  },
  {
    id: 'redirect',
    decision: 'INPUT_NEEDED',
    apply: ({ latest }) => {
      const phrase = latest && findPhrase(latest.text, REDIRECT_PHRASES);
      if (!phrase) return null;
      return {
        ...none,
        decision: 'INPUT_NEEDED',
        reason: matched('redirect', phrase),
        question: `The counterparty points us elsewhere: "${firstLine(latest.text)}". Should we contact someone else, and whom?`,
      };
    },
  },
  {
    id: 'result',
    decision: 'GOAL_ACHIEVED',
    apply: ({ reading }) =>
      reading?.complete && reading.source !== 'none'
        ? {
            ...none,
            decision: 'GOAL_ACHIEVED',
            reason: `Rule "result": the reply gives every required field (${reading.source}).`,
            result: reading.value,
          }
        : null,
  },
  {
    id: 'partial_result',
    decision: 'REQUIRES_REPLY',
    apply: ({ context, reading }) =>
      reading && !reading.complete && Object.keys(reading.value).length > 0 ? askForRest(context, reading) : null,
  },
  {
    id: 'attachment_missing',
    decision: 'REQUIRES_REPLY',
    apply: ({ context, latest, files }) => {
      // Only when the context lists attachments at all: an older caller that loads none must not read "missing".
      if (!latest || context.attachments === undefined || files.length > 0) return null;
      const phrase = findInStatements(latest.text, ATTACHMENT_CLAIMS);
      if (!phrase) return null;
      return {
        ...none,
        decision: 'REQUIRES_REPLY',
        reason: `${matched('attachment_missing', phrase)} But no file came with it.`,
        replyBody:
          'Thank you! It looks like the attachment did not come through on our side. Could you please send it again?',
      };
    },
  },
  {
    id: 'postponement',
    decision: 'SNOOZE',
    apply: ({ latest }) => {
      const phrase = latest && findInStatements(latest.text, POSTPONEMENT_PHRASES);
      return phrase ? snooze('postponement', phrase, latest) : null;
    },
  },
  {
    id: 'unsigned_document',
    decision: 'REQUIRES_REPLY',
    apply: ({ context, files }) => {
      // Only when the objective asks for a signature and the PDF itself says its signature fields are empty.
      if (!/\bsign(?:ed|ature)?\b/i.test(context.goal.objective)) return null;
      const unsigned = files.find(
        (file) =>
          (file.extraction?.signatures.length ?? 0) > 0 && !file.extraction?.signatures.some((field) => field.signed),
      );
      if (!unsigned) return null;
      return {
        ...none,
        decision: 'REQUIRES_REPLY',
        reason: `Rule "unsigned_document": the signature field(s) of "${unsigned.name ?? 'the PDF'}" are empty.`,
        replyBody:
          `Thank you for sending "${unsigned.name ?? 'the document'}". Its signature field appears to be empty; ` +
          'could you please send a signed copy?',
      };
    },
  },
  {
    id: 'completion',
    decision: 'GOAL_ACHIEVED',
    apply: ({ context, latest, files, reading }) => latest && completion(context, latest, files, reading),
  },
  {
    id: 'question',
    decision: 'INPUT_NEEDED',
    apply: ({ context, latest }) => {
      const questions = latest ? questionSentences(latest.text) : [];
      if (questions.length === 0) return null;
      const answers = answerFromKnowledge(questions, context.goal.knowledge, context.goal.objective);
      if (answers.length > 0) {
        return {
          ...none,
          decision: 'REQUIRES_REPLY',
          reason: `Rule "question": the case's knowledge answers ${answers.length} of ${questions.length} question(s).`,
          replyBody: `Thank you for your question. ${answers.map((a) => sentence(a.answer)).join(' ')}\n\n${restateRequest(context)}`,
        };
      }
      return {
        ...none,
        decision: 'INPUT_NEEDED',
        reason: 'Rule "question": the counterparty asked a question the case\'s knowledge does not answer.',
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
  const files = latest ? attachmentsOf(context, latest) : [];
  const schema = context.resultSchema;
  const input: RuleInput = {
    context,
    latest,
    pendingAnswer: answer && isAnswerPending(answer, context.thread) ? answer : null,
    files,
    reading: latest && schema ? readSchemaResult(readableText(latest, files), schema, ourOwnText(context)) : null,
  };
  for (const rule of REPLY_RULES) {
    const evaluation = rule.apply(input);
    if (evaluation) return evaluation;
  }
  // The last rule always matches; this only satisfies the compiler.
  throw new Error('rules agent: no rule matched');
}

/** Snooze until the date the reply names (a return date, "by Friday"), else for POSTPONE_HOURS. */
function snooze(rule: string, phrase: string, latest: ThreadMessage): Evaluation {
  const hours = hoursUntilNamedDate(latest.text, latest.at);
  const until = hours === null ? '' : ` It names a date ${hours} hour(s) ahead.`;
  return {
    ...none,
    decision: 'SNOOZE',
    reason: `${matched(rule, phrase)}${until}`,
    snoozeHours: hours ?? POSTPONE_HOURS,
  };
}

/** Completion words, or a document with the reply: done, provided the result validates. */
function completion(
  context: CaseContext,
  latest: ThreadMessage,
  files: readonly ContextAttachment[],
  reading: SchemaReading | null,
): Evaluation | null {
  const phrase = findPhrase(latest.text, COMPLETION_PHRASES);
  // A file that comes with a question ("Would Tuesday work?") leaves the question to be answered first.
  const documents = phrase || questionSentences(latest.text).length === 0 ? files.filter(isDocument) : [];
  const json = extractResult(latest.text, null);
  if (!phrase && documents.length === 0 && json.source === 'none') return null;
  const why = phrase
    ? matched('completion', phrase)
    : documents.length > 0
      ? `Rule "completion": ${describeFiles(context, documents)}.`
      : 'Rule "completion": the reply gives a result (json).';
  const schema = context.resultSchema;
  if (!schema || !reading) {
    const summary = firstLine(latest.text) || describeFiles(context, documents);
    const result = json.source === 'json' ? json.value : { summary };
    const reason = phrase && documents.length > 0 ? `${why} With it, ${describeFiles(context, documents)}.` : why;
    return { ...none, decision: 'GOAL_ACHIEVED', reason, result };
  }
  if (reading.complete) return { ...none, decision: 'GOAL_ACHIEVED', reason: why, result: reading.value };
  return askForRest(context, reading, why);
}

function describeFiles(context: CaseContext, files: readonly ContextAttachment[]): string {
  const named = files.find((file) => nameMatchesObjective(file, context.goal.objective).length > 0);
  if (named) return `a ${named.type ?? 'file'} named like what we asked for arrived ("${named.name ?? ''}")`;
  return `${files.length} document(s) arrived (${files.map((file) => file.name ?? file.type ?? 'unnamed').join(', ')})`;
}

/** Part of the result is there: ask the counterparty for the rest rather than bothering the human. */
function askForRest(context: CaseContext, reading: SchemaReading, why = 'Rule "partial_result":'): Evaluation {
  const missing = reading.missing.length > 0 ? reading.missing.join(', ') : reading.message;
  return {
    ...none,
    decision: 'REQUIRES_REPLY',
    reason: `${why} The result is incomplete: ${missing}.`,
    replyBody: `Thank you, that helps. We still need the following to complete this: ${missing}. ${restateRequest(context)}`,
  };
}

/** The human's values win over the reply's: they answered our question about exactly those fields. */
function merge(base: unknown, overlay: unknown): unknown {
  return isPlainObject(base) && isPlainObject(overlay) ? { ...base, ...overlay } : overlay;
}

function matched(rule: string, phrase: string): string {
  return `Rule "${rule}": the reply contains "${phrase.replace(/^~/, '')}".`;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find(Boolean) ?? ''
  );
}
