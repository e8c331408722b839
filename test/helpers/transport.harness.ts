// One harness per mail transport for the transport contract (test/integration/transport.contract.ts): each starts
// Offload with its transport, plays the counterparty through that transport's own door and reads what Offload sent
// the way the counterparty (or its provider) received it.
import { randomBytes, randomUUID } from 'node:crypto';
import { createTransport, type SendMailOptions } from 'nodemailer';
import type { FakeAttachment } from '../fakes/agentmail-fake';
import { CaseProbe } from './case.probe';
import { startAgentmailApp, startSmtpApp, AGENTMAIL_INBOX } from './mail-apps';
import { startTestApp, type TestApp } from './offload';
import { postLocalReply, VENDOR } from './reply.helper';

/** A mail Offload sent, as the other side received it. */
export interface SentMail {
  /** The id the other side knows it by: its Message-ID (local, smtp), AgentMail's message_id. */
  id: string;
  /** Recipient addresses, bare. */
  to: string[];
  /** The subject sent; null when the provider sets it (an AgentMail reply takes its thread's). */
  subject: string | null;
  /** The id of the mail this one answers, null for a first message. */
  answers: string | null;
  /** What ties a conversation together: the first Message-ID of References (local, smtp), AgentMail's thread_id. */
  conversation: string;
}

export interface ReplyAttachment {
  name: string;
  contentType: string;
  content: Buffer;
}

/** A reply the counterparty sent. */
export interface PlayedReply {
  /** Its id as the transport carries it (Message-ID, AgentMail's message_id): what an answer to it must name. */
  id: string;
  /** Delivers the very same message again, as a retrying MTA or webhook sender would. */
  again(): Promise<void>;
}

export interface TransportHarness {
  readonly app: TestApp;
  readonly probe: CaseProbe;
  /** What Offload sent for the case so far, oldest first. */
  sent(caseId: string): Promise<SentMail[]>;
  /** A reply from the counterparty to the latest mail of the case, through the transport's inbound door. */
  reply(caseId: string, text: string, attachment?: ReplyAttachment): Promise<PlayedReply>;
  /**
   * A permanent delivery failure of the case's latest mail, reported the way the transport reports one; answers a
   * fragment the case's failure reason must contain. Absent for a transport with no way to report one (local).
   */
  bounce?(caseId: string): Promise<string>;
  stop(): Promise<void>;
}

export interface TransportUnderTest {
  name: 'local' | 'smtp' | 'agentmail';
  /** Whether the transport reports bounces (local has no door for them). */
  bounces: boolean;
  start(): Promise<TransportHarness>;
}

/** Every case of the contract runs with the rules agent, an hour of case time per second. */
const ENV = { AGENT: 'rules', OFFLOAD_TIME_SCALE: '3600' };

const bare = (address: string) => /<([^>]+)>\s*$/.exec(address)?.[1] ?? address;

/** MAIL_TRANSPORT=local: sent mail is the case thread (the transport only records it); replies are POSTed to /webhooks/local. */
export const local: TransportUnderTest = {
  name: 'local',
  bounces: false,
  start: async () => {
    const app = await startTestApp('contract-local', { env: { ...ENV, MAIL_TRANSPORT: 'local' } });
    const sent = async (caseId: string): Promise<SentMail[]> => {
      const rows: Array<{
        rfc_message_id: string;
        to_addresses: string[];
        subject: string | null;
        in_reply_to: string | null;
        references: string[] | null;
      }> = await app.offload.db.query(
        `SELECT rfc_message_id, to_addresses, subject, in_reply_to, "references" FROM messages
          WHERE case_id = $1 AND direction = 'outbound' AND status = 'sent' ORDER BY created_at`,
        [caseId],
      );
      return rows.map((m) => ({
        id: m.rfc_message_id,
        to: m.to_addresses,
        subject: m.subject,
        answers: m.in_reply_to,
        conversation: m.references?.[0] ?? m.rfc_message_id,
      }));
    };
    return {
      app,
      probe: new CaseProbe(app),
      sent,
      reply: async (caseId, text, attachment) => {
        const latest = (await sent(caseId)).at(-1);
        const id = `<${randomUUID()}@example.com>`;
        const fields = {
          caseId,
          text,
          messageId: id,
          ...(latest ? { inReplyTo: latest.id } : {}),
          attachments: attachment
            ? [
                {
                  name: attachment.name,
                  contentType: attachment.contentType,
                  contentBase64: attachment.content.toString('base64'),
                },
              ]
            : [],
        };
        const post = async () => {
          const res = await postLocalReply(app.url, app.apiKey, fields);
          if (res.status !== 202) throw new Error(`local reply refused: ${res.status} ${await res.text()}`);
        };
        await post();
        return { id, again: post };
      },
      stop: () => app.stop(),
    };
  },
};

/** MAIL_TRANSPORT=smtp: sent mail is what the relay received; replies and bounces go to the SMTP listener. */
export const smtp: TransportUnderTest = {
  name: 'smtp',
  bounces: true,
  start: async () => {
    const started = await startSmtpApp('contract-smtp', ENV);
    const { app } = started;
    // Builds a message once, so a redelivery is byte for byte the same mail.
    const composer = createTransport({ streamTransport: true, buffer: true });
    const sent = async (caseId: string): Promise<SentMail[]> =>
      started.mailsOf(caseId).map(({ envelope, parsed }) => {
        const references = typeof parsed.references === 'string' ? [parsed.references] : (parsed.references ?? []);
        return {
          id: parsed.messageId!,
          to: envelope.to,
          subject: parsed.subject ?? null,
          answers: parsed.inReplyTo ?? null,
          conversation: references[0] ?? parsed.messageId!,
        };
      });
    return {
      app,
      probe: new CaseProbe(app),
      sent,
      reply: async (caseId, text, attachment) => {
        const latest = (await sent(caseId)).at(-1);
        const id = `<${randomBytes(8).toString('hex')}@example.com>`;
        const mail: SendMailOptions = {
          from: `Vera Vendor <${VENDOR}>`,
          to: started.address(caseId),
          subject: latest?.subject ? `Re: ${latest.subject.replace(/^Re: /, '')}` : 'W-9',
          messageId: id,
          ...(latest ? { inReplyTo: latest.id, references: [...new Set([latest.conversation, latest.id])] } : {}),
          text,
          attachments: attachment
            ? [{ filename: attachment.name, content: attachment.content, contentType: attachment.contentType }]
            : [],
        };
        const { message } = (await composer.sendMail(mail)) as unknown as { message: Buffer };
        const deliver = async () => {
          await started.client.sendMail({ envelope: { from: VENDOR, to: [started.address(caseId)] }, raw: message });
        };
        await deliver();
        return { id, again: deliver };
      },
      bounce: async (caseId) => {
        const latest = (await sent(caseId)).at(-1);
        if (!latest) throw new Error(`case ${caseId} sent nothing to bounce`);
        await started.bounce(caseId, latest.id);
        return '550 5.1.1';
      },
      stop: () => started.stop(),
    };
  },
};

/** MAIL_TRANSPORT=agentmail: sent mail is what the AgentMail fake accepted; replies and bounces are signed events. */
export const agentmail: TransportUnderTest = {
  name: 'agentmail',
  bounces: true,
  start: async () => {
    const started = await startAgentmailApp('contract-agentmail', ENV);
    const { app, fake } = started;
    const sent = async (caseId: string): Promise<SentMail[]> => {
      const mails = new Map<string, SentMail>();
      for (const request of fake.requests) {
        const body = request.body as { to?: string[]; subject?: string; labels?: string[] } | null;
        const answer = request.response?.body as { message_id?: string; thread_id?: string } | undefined;
        if (request.response?.status !== 200 || !answer?.message_id || !body?.labels?.includes(`case:${caseId}`))
          continue;
        const replyTo = /\/messages\/([^/]+)\/reply$/.exec(request.path)?.[1];
        // A retried send is answered with the first message (Idempotency-Key): it is one mail.
        mails.set(answer.message_id, {
          id: answer.message_id,
          to: (body.to ?? []).map(bare),
          subject: body.subject ?? null,
          answers: replyTo ? decodeURIComponent(replyTo) : null,
          conversation: answer.thread_id!,
        });
      }
      return [...mails.values()];
    };
    const latestOf = async (caseId: string) => {
      const latest = (await sent(caseId)).at(-1);
      if (!latest) throw new Error(`case ${caseId} sent nothing through AgentMail`);
      return { providerMessageId: latest.id, threadId: latest.conversation };
    };
    const deliver = async (payload: object) => {
      const res = await started.deliver(payload);
      if (res.status !== 200) throw new Error(`agentmail webhook refused: ${res.status} ${await res.text()}`);
    };
    return {
      app,
      probe: new CaseProbe(app),
      sent,
      reply: async (caseId, text, attachment) => {
        const attachments: FakeAttachment[] = attachment
          ? [
              {
                attachment_id: `att_${randomUUID()}`,
                filename: attachment.name,
                size: attachment.content.length,
                content_type: attachment.contentType,
                content: attachment.content,
              },
            ]
          : [];
        const event = started.replyEvent(await latestOf(caseId), text, {}, attachments);
        await deliver(event);
        return { id: event.message.message_id, again: () => deliver(event) };
      },
      bounce: async (caseId) => {
        const { providerMessageId, threadId } = await latestOf(caseId);
        await deliver({
          type: 'event',
          event_type: 'message.bounced',
          event_id: `evt_${randomUUID()}`,
          bounce: {
            inbox_id: AGENTMAIL_INBOX,
            thread_id: threadId,
            message_id: providerMessageId,
            type: 'Permanent',
            sub_type: 'General',
          },
        });
        return 'Permanent/General';
      },
      stop: () => started.stop(),
    };
  },
};
