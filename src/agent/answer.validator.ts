// Turns a model's raw answer into a ComposedMessage or an Evaluation, or says precisely what was wrong with it so
// the retry can tell the model. Pure: no client, so every rejection path is unit-testable.
import { z } from 'zod';
import type { Evaluation } from '../domain/evaluation.types';
import type { ComposedMessage } from './agent.types';
import { composeOutputSchema, evaluateOutputSchema, MAX_SNOOZE_HOURS } from './output.schema';
import type { EvaluateOutput } from './output.schema';
import { validateResult } from './result.validator';
import { restoreResult } from './strict-schema.mapper';
import type { ResultPlan } from './strict-schema.mapper';

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

/** What came back from one chat completion, before we trust any of it. */
export interface ModelAnswer {
  content: string | null;
  refusal: string | null;
  finishReason: string | null;
}

const MAX_PROBLEM_CHARS = 400;

export function parseAnswerJson(answer: ModelAnswer): Checked<unknown> {
  if (answer.refusal) return fail(`the model refused: ${answer.refusal}`);
  if (answer.finishReason === 'length') return fail('the answer was cut off before it was complete');
  if (answer.finishReason === 'content_filter') return fail('the answer was withheld by a content filter');
  if (!answer.content?.trim()) return fail('the answer was empty');
  try {
    return { ok: true, value: JSON.parse(answer.content) as unknown };
  } catch (error) {
    return fail(`the answer is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

export function checkCompose(raw: unknown): Checked<ComposedMessage> {
  const parsed = composeOutputSchema.safeParse(raw);
  if (!parsed.success) return fail(`the answer does not match compose_message: ${describeIssues(parsed.error)}`);
  return { ok: true, value: parsed.data };
}

export function checkEvaluation(raw: unknown, plan: ResultPlan): Checked<Evaluation> {
  const parsed = evaluateOutputSchema.safeParse(raw);
  if (!parsed.success) return fail(`the answer does not match evaluate_reply: ${describeIssues(parsed.error)}`);
  const output = parsed.data;
  const base: Evaluation = {
    decision: output.decision,
    reason: output.reason,
    result: null,
    question: null,
    replyBody: null,
    snoozeHours: null,
  };
  switch (output.decision) {
    case 'GOAL_ACHIEVED': {
      const result = checkResult(output, plan);
      return result.ok ? { ok: true, value: { ...base, result: result.value } } : result;
    }
    case 'FAILED_REJECTED':
      return { ok: true, value: base };
    case 'INPUT_NEEDED':
      return requireText(output.question, 'INPUT_NEEDED needs a non-empty "question"', (question) => ({
        ...base,
        question,
      }));
    case 'REQUIRES_REPLY':
      return requireText(output.replyBody, 'REQUIRES_REPLY needs a non-empty "replyBody"', (replyBody) => ({
        ...base,
        replyBody,
      }));
    case 'SNOOZE': {
      const hours = output.snoozeHours;
      if (hours === null || !Number.isFinite(hours) || hours <= 0)
        return fail('SNOOZE needs "snoozeHours" greater than 0');
      return { ok: true, value: { ...base, snoozeHours: Math.min(hours, MAX_SNOOZE_HOURS) } };
    }
    default: {
      const unreachable: never = output.decision;
      return unreachable;
    }
  }
}

/** The off-policy guard: a GOAL_ACHIEVED result is accepted only once it validates against the resultSchema. */
function checkResult(output: EvaluateOutput, plan: ResultPlan): Checked<unknown> {
  const result = output.result ?? null;
  switch (plan.mode) {
    case 'summary': {
      // Without a resultSchema nothing downstream depends on the shape; the reason is a fair summary.
      if (result === null) return { ok: true, value: { summary: output.reason } };
      const summary = z
        .object({ summary: z.string().trim().min(1) })
        .strict()
        .safeParse(result);
      return summary.success ? { ok: true, value: summary.data } : fail('"result" must be {"summary": string}');
    }
    case 'strict':
      if (result === null) return fail('GOAL_ACHIEVED needs a "result" that matches the result schema');
      return validated(plan.original, restoreResult(plan.original, result));
    case 'json_string': {
      if (typeof result !== 'string') return fail('GOAL_ACHIEVED needs "result" as a string holding JSON');
      try {
        return validated(plan.original, JSON.parse(result) as unknown);
      } catch {
        return fail('"result" is not a valid JSON document');
      }
    }
    default: {
      const unreachable: never = plan;
      return unreachable;
    }
  }
}

function validated(schema: Record<string, unknown>, value: unknown): Checked<unknown> {
  const outcome = validateResult(schema, value);
  return outcome.ok ? { ok: true, value } : fail(`"result" does not match the result schema: ${outcome.message}`);
}

function requireText(text: string | null, problem: string, build: (text: string) => Evaluation): Checked<Evaluation> {
  const trimmed = text?.trim();
  return trimmed ? { ok: true, value: build(trimmed) } : fail(problem);
}

/** After the retries: hand the case to the human instead of guessing (SPEC section 5). */
export function fallbackEvaluation(problem: string, attempts: number): Evaluation {
  return {
    decision: 'INPUT_NEEDED',
    reason: `evaluate_reply gave no usable answer after ${attempts} attempt(s): ${problem}`,
    result: null,
    question: `The reply could not be evaluated automatically: ${problem}. What should happen next?`,
    replyBody: null,
    snoozeHours: null,
  };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 8)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

function fail(problem: string): { ok: false; problem: string } {
  const short = problem.length > MAX_PROBLEM_CHARS ? `${problem.slice(0, MAX_PROBLEM_CHARS)}...` : problem;
  return { ok: false, problem: short };
}
