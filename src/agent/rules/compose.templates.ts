// Fixed email templates for the rules agent, one per send purpose: predictable text for demos and tests.
import type { CaseContext, ComposedMessage, ComposeRequest } from '../agent.types';
import { latestHumanAnswer } from '../human-context.mapper';
import { replySubject, threadSubject } from '../thread.mapper';
import { fitSms } from '../sms-length.policy';

const MAX_SUBJECT_OBJECTIVE = 70;

export function composeFromTemplate(request: ComposeRequest): ComposedMessage {
  const { context } = request;
  if (context.channel === 'SMS') return { subject: '', body: fitSms(smsText(request)) };
  switch (request.purpose) {
    case 'outreach':
      return { subject: outreachSubject(context), body: letter(context, outreachText(context)) };
    case 'follow_up':
      return { subject: replyTo(context), body: letter(context, followUpText(context)) };
    case 'reply':
      return { subject: replyTo(context), body: letter(context, request.replyBody?.trim() || restateRequest(context)) };
    case 'reply_after_input':
      return { subject: replyTo(context), body: letter(context, request.replyBody?.trim() || relayAnswer(context)) };
    default: {
      const unreachable: never = request.purpose;
      return unreachable;
    }
  }
}

/** SPEC §13: a text per purpose, no subject, no greeting line or signature block. */
function smsText(request: ComposeRequest): string {
  const { context } = request;
  const { name, company } = context.senderPersona;
  const objective = sentence(context.goal.objective);
  switch (request.purpose) {
    case 'outreach':
      return `Hi ${context.counterparty.name}, this is ${name}${company ? ` from ${company}` : ''}, texting about this: ${objective} Could you reply to this text?`;
    case 'follow_up': {
      const number = Math.max(1, context.attemptCount);
      return `Hi ${context.counterparty.name}, following up (${number}/${context.maxAttempts}): ${objective} A short reply would help.`;
    }
    case 'reply':
      return request.replyBody?.trim() || restateRequest(context);
    case 'reply_after_input':
      return request.replyBody?.trim() || relayAnswer(context);
    default: {
      const unreachable: never = request.purpose;
      return unreachable;
    }
  }
}

/** The polite restatement the rules agent also uses as a replyBody when it has nothing better to say. */
export function restateRequest(context: CaseContext): string {
  return (
    'Thank you for your reply. To make sure we are on the same page, here is what we are asking for: ' +
    `${sentence(context.goal.objective)} Could you please help with this?`
  );
}

export function relayAnswer(context: CaseContext): string {
  const answer = latestHumanAnswer(context.goal.knowledge);
  return answer ? `Thank you for your patience. Here is our answer: ${answer.text}` : restateRequest(context);
}

function outreachSubject(context: CaseContext): string {
  const company = context.senderPersona.company;
  const objective = shorten(context.goal.objective.trim(), MAX_SUBJECT_OBJECTIVE);
  return company ? `${company}: ${objective}` : objective;
}

/** Follow-ups and replies keep the thread's subject so the counterparty sees one conversation. */
function replyTo(context: CaseContext): string {
  return replySubject(threadSubject(context.thread) ?? outreachSubject(context));
}

function outreachText(context: CaseContext): string {
  return [
    `${introduction(context)} I am reaching out about the following: ${sentence(context.goal.objective)}`,
    'Could you please help with this? A reply to this email is all that is needed.',
  ].join('\n\n');
}

function followUpText(context: CaseContext): string {
  const number = Math.max(1, context.attemptCount);
  return [
    `I am following up on my earlier email (follow-up ${number} of ${context.maxAttempts}).`,
    `We are still hoping for your help with the following: ${sentence(context.goal.objective)}`,
    'A short reply to this email would be much appreciated.',
  ].join('\n\n');
}

function introduction(context: CaseContext): string {
  const { name, role, company } = context.senderPersona;
  const who = [role, company ? `at ${company}` : null].filter(Boolean).join(' ');
  return who ? `My name is ${name}, ${who}.` : `My name is ${name}.`;
}

/** Greeting, text and a signature with the persona's name, role and company. */
function letter(context: CaseContext, text: string): string {
  const { name, role, company } = context.senderPersona;
  const title = [role, company].filter(Boolean).join(', ');
  const signature = title ? `${name}\n${title}` : name;
  return `Hello ${context.counterparty.name},\n\n${text}\n\nBest regards,\n${signature}`;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3).trimEnd()}...`;
}
