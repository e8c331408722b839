// The two model calls' output shapes, twice: as JSON Schemas the model is held to (strict structured outputs) and as
// zod schemas we parse with, because a server claiming OpenAI compatibility may not enforce the schema at all.
import { z } from 'zod';
import { DECISIONS } from '../domain/evaluation.types';
import type { JsonSchema, ResultPlan } from './strict-schema.mapper';

export const CALL_NAMES = { compose: 'compose_message', evaluate: 'evaluate_reply' } as const;
export type CallName = (typeof CALL_NAMES)[keyof typeof CALL_NAMES];

/** Longest snooze we accept from a model: a month; anything later is better handled by a human. */
export const MAX_SNOOZE_HOURS = 720;

export const composeOutputSchema = z.object({
  subject: z.string().trim().min(1, 'subject must not be empty').max(300),
  body: z.string().trim().min(1, 'body must not be empty'),
});

/** `result` stays unknown here: its shape is per case and is checked against the case's resultSchema. */
export const evaluateOutputSchema = z.object({
  decision: z.enum(DECISIONS),
  reason: z.string().trim().min(1, 'reason must not be empty'),
  result: z.unknown(),
  question: z.string().nullable(),
  replyBody: z.string().nullable(),
  snoozeHours: z.number().nullable(),
});
export type EvaluateOutput = z.infer<typeof evaluateOutputSchema>;

export const composeMessageJsonSchema: JsonSchema = {
  type: 'object',
  properties: {
    subject: { type: 'string', description: 'Email subject line, plain text.' },
    body: { type: 'string', description: 'Email body, plain text, signed with the sender persona name.' },
  },
  required: ['subject', 'body'],
  additionalProperties: false,
};

export function evaluateReplyJsonSchema(plan: ResultPlan): JsonSchema {
  return {
    type: 'object',
    properties: {
      decision: { type: 'string', enum: [...DECISIONS] },
      reason: { type: 'string', description: 'Why this decision, in one or two sentences.' },
      result: withDescription(plan.modelSchema, resultDescription(plan)),
      question: {
        type: ['string', 'null'],
        description: 'INPUT_NEEDED only: the question for the human on our side. Otherwise null.',
      },
      replyBody: {
        type: ['string', 'null'],
        description: 'REQUIRES_REPLY only: what our reply to the counterparty should say. Otherwise null.',
      },
      snoozeHours: {
        type: ['number', 'null'],
        description: `SNOOZE only: hours until we check again (1 to ${MAX_SNOOZE_HOURS}). Otherwise null.`,
      },
    },
    required: ['decision', 'reason', 'result', 'question', 'replyBody', 'snoozeHours'],
    additionalProperties: false,
  };
}

function withDescription(schema: JsonSchema, description: string): JsonSchema {
  const own = typeof schema.description === 'string' ? ` ${schema.description}` : '';
  return { ...schema, description: `${description}${own}` };
}

function resultDescription(plan: ResultPlan): string {
  switch (plan.mode) {
    case 'summary':
      return 'GOAL_ACHIEVED only: a short summary of the outcome. Otherwise null.';
    case 'strict':
      return 'GOAL_ACHIEVED only: the result extracted from the conversation. Otherwise null.';
    case 'json_string':
      return 'GOAL_ACHIEVED only: the result as a JSON string matching the result schema. Otherwise null.';
    default: {
      const unreachable: never = plan;
      return unreachable;
    }
  }
}
