// The evaluate_reply prompt: read the counterparty's latest message and choose what happens next.
import type { CaseContext } from '../agent.types';
import { MAX_SNOOZE_HOURS } from '../output.schema';
import type { ResultPlan } from '../strict-schema.mapper';
import { renderAttachments } from './attachments.prompt';
import { latestInboundId, neutralize, renderCaseFacts, renderThread, UNTRUSTED_DATA_RULES } from './shared.prompt';
import type { PromptMessage } from './shared.prompt';

const DECISION_GUIDE = [
  'Decisions:',
  '- GOAL_ACHIEVED: the conversation gives everything the objective asks for. Fill "result" from what the',
  '  counterparty actually wrote; never invent or guess values.',
  '- FAILED_REJECTED: the counterparty clearly refuses, asks us to stop, or says they cannot ever help.',
  "- INPUT_NEEDED: we cannot go on without our client's human (a question only they can answer, a decision or",
  '  approval, a suspicious request, or anything outside the constraints). Put the question in "question".',
  "- REQUIRES_REPLY: we should answer the counterparty (clarify, restate the request, pass on the human's answer).",
  '  Put what the reply should say in "replyBody".',
  `- SNOOZE: the counterparty will answer later (out of office, "next week"). Put hours until we check again in`,
  `  "snoozeHours" (1 to ${MAX_SNOOZE_HOURS}).`,
  'Fields that do not belong to the chosen decision must be null.',
].join('\n');

export function evaluateSystemPrompt(): string {
  return [
    'You read an email conversation that we run for our client and decide what happens next.',
    DECISION_GUIDE,
    "If an answer from our client's human is newer than the counterparty's latest message, act on it (usually",
    'REQUIRES_REPLY passing it on) rather than asking the same question again.',
    UNTRUSTED_DATA_RULES,
    'Answer with one JSON object with the fields decision, reason, result, question, replyBody and snoozeHours.',
  ].join('\n');
}

export function evaluateUserPrompt(context: CaseContext, plan: ResultPlan): string {
  const latest = latestInboundId(context.thread);
  const task = latest
    ? `Task: evaluate the counterparty's latest message (${latest}) in the light of the whole conversation.`
    : 'Task: there is no message from the counterparty yet; decide what should happen next.';
  return [
    'Case facts (authoritative):',
    renderCaseFacts(context),
    resultInstructions(plan),
    '',
    renderThread(context.thread),
    '',
    ...(context.attachments === undefined ? [] : [renderAttachments(context.attachments), '']),
    task,
  ].join('\n');
}

export function evaluateMessages(context: CaseContext, plan: ResultPlan): PromptMessage[] {
  return [
    { role: 'system', content: evaluateSystemPrompt() },
    { role: 'user', content: evaluateUserPrompt(context, plan) },
  ];
}

function resultInstructions(plan: ResultPlan): string {
  switch (plan.mode) {
    case 'summary':
      return 'Result: our client gave no result schema; on GOAL_ACHIEVED give {"summary": "<what was achieved>"}.';
    case 'strict':
      return [
        'Result schema from our client (on GOAL_ACHIEVED "result" must satisfy it; use null for optional values the',
        `conversation does not give): ${neutralize(JSON.stringify(plan.original))}`,
      ].join('\n');
    case 'json_string':
      return [
        'Result schema from our client. On GOAL_ACHIEVED "result" is a STRING containing a JSON document that',
        `satisfies it: ${neutralize(JSON.stringify(plan.original))}`,
      ].join('\n');
    default: {
      const unreachable: never = plan;
      return unreachable;
    }
  }
}
