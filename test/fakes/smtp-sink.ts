// A stand-in for the outgoing relay: records what our SMTP transport sends and can be told to refuse, the way a real
// provider answers 4xx (try later) or 5xx (never).
import { connect, type AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SinkMessage {
  envelope: { from: string | null; to: string[] };
  raw: Buffer;
  parsed: ParsedMail;
}

export type SinkStage = 'rcpt' | 'data';

export interface SmtpSink {
  readonly url: string;
  readonly messages: SinkMessage[];
  /** The next command at `stage` is answered with `code message` instead of being accepted. */
  refuseNext(stage: SinkStage, code: number, message: string): void;
  close(): Promise<void>;
}

type Refusal = { stage: SinkStage; code: number; message: string };

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const refusals: Refusal[] = [];
  const take = (stage: SinkStage): Error | null => {
    const index = refusals.findIndex((r) => r.stage === stage);
    if (index < 0) return null;
    const [refusal] = refusals.splice(index, 1);
    return Object.assign(new Error(refusal!.message), { responseCode: refusal!.code });
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo: (_address, _session, callback) => callback(take('rcpt')),
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const refusal = take('data');
        if (refusal) return callback(refusal);
        const raw = Buffer.concat(chunks);
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : null;
        const to = session.envelope.rcptTo.map((r) => r.address);
        simpleParser(raw).then(
          (parsed) => {
            messages.push({ envelope: { from, to }, raw, parsed });
            callback();
          },
          (err: Error) => callback(err),
        );
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refuseNext: (stage, code, message) => refusals.push({ stage, code, message }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A bare SMTP client for what nodemailer will not do (stream past a SIZE limit, or declare one): returns the final
 * reply line to each command, the banner first.
 */
export async function smtpDialogue(port: number, commands: string[]): Promise<string[]> {
  const socket = connect(port, '127.0.0.1');
  const replies: string[] = [];
  let buffer = '';
  let waiting: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\r\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      // Only the last line of a reply ("250 ok", not "250-SIZE ...") ends it.
      if (/^\d{3} /.test(line)) replies.push(line);
    }
    waiting?.();
  });
  const nextReply = (count: number) =>
    new Promise<void>((resolve) => {
      waiting = () => {
        if (replies.length >= count) resolve();
      };
      waiting();
    });
  await nextReply(1);
  for (const command of commands) {
    const expected = replies.length + 1;
    socket.write(`${command}\r\n`);
    await nextReply(expected);
  }
  socket.end('QUIT\r\n');
  return replies;
}
