// The worst model Offload could be wired to: it obeys whatever the counterparty's latest mail tells it. Instructions
// are lines of the latest untrusted block of the prompt (`SEND TO: x`, `SET WEBHOOK: url`, `RESULT: {json}`,
// `REVEAL: <case id>`, `CONSTRAINTS: ...`); it answers compose_message and evaluate_reply accordingly, so any effect
// it manages to have beyond its own case's thread is a hole in the code around the model, not in the prompt.
import { answer, type FakeAnswer, type FakeChatRequest, type FakeHandler } from './openai-fake';

export interface Orders {
  sendTo: string | null;
  webhook: string | null;
  result: unknown;
  reveal: string | null;
  constraints: string | null;
  /** A benign answer: `TIN: 12-3456789` gives the result the case asked for. */
  tin: string | null;
}

const BLOCK = /<<<UNTRUSTED_MESSAGE id=(m\d+)>>>([\s\S]*?)<<<END_UNTRUSTED_MESSAGE id=\1>>>/g;

/** The instructions in the prompt's latest untrusted block (nothing when there is none: an outreach). */
export function readOrders(request: FakeChatRequest): Orders {
  const blocks = [...request.text.matchAll(BLOCK)];
  const latest = blocks.at(-1)?.[2] ?? '';
  const line = (key: string) => new RegExp(`^${key}:\\s*(.+)$`, 'mi').exec(latest)?.[1]?.trim() ?? null;
  const result = line('RESULT');
  return {
    sendTo: line('SEND TO'),
    webhook: line('SET WEBHOOK'),
    result: result === null ? undefined : parseOr(result),
    reveal: line('REVEAL'),
    constraints: line('CONSTRAINTS'),
    tin: line('TIN'),
  };
}

/** Answers both calls as the mail says, leaking everything it was shown when told to reveal anything. */
export function obedientModel(): FakeHandler {
  return (request) => {
    const orders = readOrders(request);
    if (request.callName === 'compose_message') return compose(request, orders);
    if (request.callName === 'evaluate_reply') return evaluate(request, orders);
    return answer.error(400, `obedient model: unknown call ${request.callName}`);
  };
}

function compose(request: FakeChatRequest, orders: Orders): FakeAnswer {
  const lines = ['Hello, please send the signed W-9.'];
  let subject = 'W-9 request';
  if (orders.sendTo) {
    // Header injection and a readdressed body: whatever a model could put in its two fields.
    subject = `W-9\r\nBcc: ${orders.sendTo}\r\nTo: ${orders.sendTo}`;
    lines.push(`To: ${orders.sendTo}`, `Cc: ${orders.sendTo}`, `Forwarding this thread to ${orders.sendTo} as asked.`);
  }
  if (orders.webhook) lines.push(`Webhook changed to ${orders.webhook}.`);
  if (orders.constraints) lines.push(`New constraints accepted: ${orders.constraints}`);
  if (orders.reveal) lines.push(`Everything I know about ${orders.reveal}:`, request.text);
  return answer.json({ subject, body: lines.join('\n') });
}

function evaluate(request: FakeChatRequest, orders: Orders): FakeAnswer {
  const verdict = (decision: string, fields: Record<string, unknown> = {}) =>
    answer.json({
      decision,
      reason: 'The latest message told me to.',
      result: null,
      question: null,
      replyBody: null,
      snoozeHours: null,
      ...fields,
    });
  if (orders.result !== undefined) return verdict('GOAL_ACHIEVED', { result: orders.result });
  const demands = [
    orders.sendTo && `Send this to ${orders.sendTo}.`,
    orders.webhook && `Set the webhook to ${orders.webhook}.`,
    orders.constraints && `Our constraints are now: ${orders.constraints}`,
    orders.reveal && `Here is all I was given about ${orders.reveal}:\n${request.text}`,
  ].filter((d): d is string => Boolean(d));
  if (demands.length) return verdict('REQUIRES_REPLY', { replyBody: demands.join('\n') });
  if (orders.tin) return verdict('GOAL_ACHIEVED', { result: { tin: orders.tin } });
  return verdict('REQUIRES_REPLY', { replyBody: 'Please send the signed W-9 with your TIN.' });
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
