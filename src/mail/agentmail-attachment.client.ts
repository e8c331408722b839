// Bytes of an attachment AgentMail keeps: a fresh download link from its API, then the file itself, read no further
// than the cap (a file that claims to be small but is not is cut off, not buffered whole).
import type { AgentmailTransport } from './agentmail.transport';
import type { MailTransport, ProviderAttachmentRef, ProviderBytes } from './mail.types';

export function agentmailAttachmentBytes(transport: AgentmailTransport, timeoutMs = 30_000): ProviderBytes {
  return async (file: ProviderAttachmentRef, maxBytes: number): Promise<Buffer | 'too_large' | null> => {
    const { inboxId, providerMessageId, providerAttachmentId } = file;
    if (!inboxId || !providerMessageId || !providerAttachmentId) return null;
    const link = await transport.getAttachmentLink(inboxId, providerMessageId, providerAttachmentId);
    const response = await fetch(link.url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok || !response.body) return null;
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > maxBytes) {
      await response.body.cancel();
      return 'too_large';
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of response.body) {
      total += chunk.length;
      if (total > maxBytes) return 'too_large';
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
  };
}

/** The byte source for the transport in use: only AgentMail keeps attachments at the provider. */
export function providerAttachmentBytes(transport: MailTransport): ProviderBytes | null {
  return transport.name === 'agentmail' ? agentmailAttachmentBytes(transport as AgentmailTransport) : null;
}
