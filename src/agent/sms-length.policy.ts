// SPEC §13: a text is at most 320 characters (two to three SMS segments, see README "Twilio (SMS)"). The prompts
// and the rules agent's templates aim below it; this holds the line whatever an agent returns: a longer text is cut at
// a word boundary and marked with an ellipsis rather than sent in more segments or composed again (a second model
// call costs as much as the first and may overrun too).
import type { Agent, ComposedMessage, ComposeRequest } from './agent.types';

export const SMS_MAX_CHARS = 320;

/** The text within SMS_MAX_CHARS characters (code points), cut at the last space that fits. */
export function fitSms(text: string, max = SMS_MAX_CHARS): string {
  const trimmed = text.trim();
  const chars = [...trimmed];
  if (chars.length <= max) return trimmed;
  const head = chars.slice(0, max - 1).join('');
  const space = head.search(/\s\S*$/);
  const cut = space > max / 2 ? head.slice(0, space) : head;
  return `${cut.trimEnd()}…`;
}

/** An agent whose SMS messages never exceed SMS_MAX_CHARS and carry no subject; email passes through unchanged. */
export function smsSized(agent: Agent): Agent {
  return {
    name: agent.name,
    async compose(request: ComposeRequest): Promise<ComposedMessage> {
      const composed = await agent.compose(request);
      if (request.context.channel !== 'SMS') return composed;
      return { subject: '', body: fitSms(composed.body) };
    },
    evaluate: (context) => agent.evaluate(context),
  };
}
