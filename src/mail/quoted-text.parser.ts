// The agent must judge only what the counterparty wrote now: quoted history would let our own earlier words (or an
// older answer) pass for the reply. email-reply-parser knows most client conventions and signatures; the extra passes
// catch what it leaves behind (an attribution wrapped over two lines, interleaved "> " quotes, Outlook headers).
import EmailReplyParser from 'email-reply-parser';

const parser = new EmailReplyParser();

const WRAPPED = String.raw`[^\n]{0,200}(?:\n[^\n]{0,200})?`;
/** "On <date>, <name> wrote:" and its common translations; the attribution may be wrapped onto a second line. */
const ATTRIBUTION = [
  new RegExp(String.raw`^On\b${WRAPPED}\bwrote:?\s*$`, 'im'),
  new RegExp(String.raw`^Le\b${WRAPPED}\ba écrit\s*:?\s*$`, 'im'),
  new RegExp(String.raw`^Am\b${WRAPPED}\bschrieb\b[^\n]{0,100}:\s*$`, 'im'),
  new RegExp(String.raw`^El\b${WRAPPED}\bescribió:?\s*$`, 'im'),
  // Forwarded messages are kept on purpose: a forward is often the very answer the case waits for.
  /^-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}\s*$/im,
  // Outlook's reply header block ("From:" then "Sent:"); Gmail's forward header says "Date:" and is kept.
  /^From:[^\n]*\n(?:[^\n]*\n){0,3}?Sent:[^\n]*$/im,
];

/** Text with quoted history and signature removed; the whole text when nothing of the sender's own would remain. */
export function stripQuotedText(text: string): string {
  const normalized = text.replace(/\r\n?/g, '\n');
  const visible = dropQuoteLines(cutAtAttribution(parser.parseReply(normalized))).trim();
  // A reply written entirely inline in the quote would otherwise reach the agent as an empty message.
  return visible || normalized.trim();
}

function cutAtAttribution(text: string): string {
  let end = text.length;
  for (const pattern of ATTRIBUTION) {
    const match = pattern.exec(text);
    if (match && match.index < end) end = match.index;
  }
  return text.slice(0, end);
}

function dropQuoteLines(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('>'))
    .join('\n');
}
