// The compose_message prompt: one email (outreach, follow-up or reply) written as the client's sender persona.
import type { ComposeRequest } from '../agent.types';
import { SMS_MAX_CHARS } from '../sms-length.policy';
import { describePersona, neutralize, renderCaseFacts, renderThread, UNTRUSTED_DATA_RULES } from './shared.prompt';
import type { PromptMessage } from './shared.prompt';

export function composeSystemPrompt(request: ComposeRequest): string {
  if (request.context.channel === 'SMS') return smsSystemPrompt(request);
  const persona = describePersona(request.context.senderPersona);
  return [
    `You write emails for one bounded task on behalf of ${persona}.`,
    'You write to exactly one counterparty, the one named in the case facts, in their thread. You never add',
    'recipients, links, attachments, prices, dates or promises that the case facts do not give you, and you never',
    'claim to be a human if asked directly.',
    'Always follow the constraints from our client. Keep the email short, specific and polite: ask for exactly what',
    'the objective needs, using the background knowledge where it helps.',
    'Write plain text without markdown and without placeholders such as [Name]; greet the counterparty by name and',
    'sign with the persona name (and role and company when given).',
    UNTRUSTED_DATA_RULES,
    'Answer with one JSON object: {"subject": string, "body": string}.',
  ].join('\n');
}

/** SPEC §13: a text, not an email: short, no subject, no greeting line or signature block. */
function smsSystemPrompt(request: ComposeRequest): string {
  const persona = describePersona(request.context.senderPersona);
  return [
    `You write SMS text messages for one bounded task on behalf of ${persona}.`,
    'You text exactly one counterparty, the one named in the case facts, in their conversation. You never add',
    'recipients, links, prices, dates or promises that the case facts do not give you, and you never claim to be a',
    'human if asked directly.',
    'Always follow the constraints from our client. Where the instructions below say "email", write a text message.',
    `The body is at most ${SMS_MAX_CHARS} characters, shorter is better: one or two plain sentences that ask for`,
    'exactly what the objective needs. No subject, no markdown, no placeholders, no greeting line and no signature',
    'block; say who you are in a few words only in the first message.',
    UNTRUSTED_DATA_RULES,
    // The output schema is the email's; the subject is only a label here (a text has none, none is sent).
    'Answer with one JSON object: {"subject": string (two or three words; never sent), "body": string}.',
  ].join('\n');
}

export function composeUserPrompt(request: ComposeRequest): string {
  const { context } = request;
  return [
    'Case facts (authoritative):',
    renderCaseFacts(context),
    '',
    renderThread(context.thread),
    '',
    `Task (${request.purpose}): ${purposeTask(request)}`,
  ].join('\n');
}

export function composeMessages(request: ComposeRequest): PromptMessage[] {
  return [
    { role: 'system', content: composeSystemPrompt(request) },
    { role: 'user', content: composeUserPrompt(request) },
  ];
}

function purposeTask(request: ComposeRequest): string {
  const { context } = request;
  const draft = request.replyBody ? neutralize(request.replyBody) : null;
  switch (request.purpose) {
    case 'outreach':
      return 'Write the first email to the counterparty. Introduce yourself briefly and ask for what the objective needs.';
    case 'follow_up': {
      const number = Math.max(1, context.attemptCount);
      return (
        `Write follow-up number ${number} of at most ${context.maxAttempts}: the counterparty has not answered yet. ` +
        'Refer to the earlier email, restate the request briefly, and keep the subject of the thread ("Re: ...").'
      );
    }
    case 'reply':
      return (
        "Write our reply in the thread to the counterparty's latest message. What the reply should say, drafted by " +
        `our evaluation step (follow it unless it breaks the rules above): ${draft ?? '(no draft: answer helpfully and restate the request)'}`
      );
    case 'reply_after_input':
      return (
        "Our client's human has answered the question we had (see the answers in the case facts). Write our reply " +
        'to the counterparty that passes on that answer and moves the objective forward. ' +
        `Draft from our evaluation step: ${draft ?? '(none: relay the newest answer)'}`
      );
    default: {
      const unreachable: never = request.purpose;
      return unreachable;
    }
  }
}
