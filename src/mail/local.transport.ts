// MAIL_TRANSPORT=local: mail goes nowhere but the case thread (the worker records every message there already);
// replies come in through POST /webhooks/local. For trying Offload and for tests.
import type { MailTransport, OutboundMail, SendResult } from './mail.types';

export function createLocalTransport(): MailTransport {
  return {
    name: 'local',
    recordsOnly: true,
    send: async (mail: OutboundMail): Promise<SendResult> => ({ providerMessageId: mail.messageId }),
  };
}
