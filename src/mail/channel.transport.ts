// The worker knows one outbound transport; a case's channel decides which one carries its message. Everything but
// sending (inbound listeners, AgentMail's attachment links) stays the mail transport's, so callers that look for it
// (by name) still find it.
import type { MailTransport, OutboundMail } from './mail.types';

export function createChannelTransport(mail: MailTransport, sms: MailTransport): MailTransport {
  const byChannel: Partial<MailTransport> = {
    // Sending inside the recording transaction is only safe when whichever transport runs is a recording one.
    recordsOnly: Boolean(mail.recordsOnly && sms.recordsOnly),
    send: (message: OutboundMail) => (message.channel === 'SMS' ? sms : mail).send(message),
    stop: async () => {
      await mail.stop?.();
      await sms.stop?.();
    },
  };
  // Delegates every other member (name, start, inboundAddress, provider extras) to the mail transport.
  return Object.assign(Object.create(mail) as MailTransport, byChannel);
}
