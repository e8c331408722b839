// The counterparty's side of MAIL_TRANSPORT=local: a reply is a JSON POST to /webhooks/local, authenticated with the
// key of the case's account. The other transports' doors are in mail-apps.ts.

export const VENDOR = 'vendor@example.com';

export interface LocalAttachment {
  name: string;
  contentType?: string;
  contentBase64: string;
}

export interface LocalReplyFields {
  caseId?: string;
  /** The case's reply address, instead of caseId. */
  to?: string;
  from?: string;
  text: string;
  messageId?: string;
  inReplyTo?: string;
  attachments?: LocalAttachment[];
}

/** POST /webhooks/local as given, answering the response: for tests of what the door refuses. */
export function postLocalReply(url: string, apiKey: string, fields: LocalReplyFields): Promise<Response> {
  return fetch(`${url}/webhooks/local`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ from: VENDOR, ...fields }),
  });
}

/**
 * A reply from the counterparty to a case, which must be accepted (202). Answers the stored message's id, or null
 * when Offload recognised it as a duplicate (same messageId).
 */
export async function reply(
  app: { url: string; apiKey?: string },
  caseId: string,
  text: string,
  options: Omit<LocalReplyFields, 'caseId' | 'to' | 'text'> & { apiKey?: string } = {},
): Promise<string | null> {
  const { apiKey = app.apiKey, ...fields } = options;
  if (!apiKey) throw new Error('reply: no API key for the case account');
  const res = await postLocalReply(app.url, apiKey, { caseId, text, ...fields });
  const body = (await res.json()) as { data?: { messageId: string | null } };
  if (res.status !== 202 || !body.data) throw new Error(`reply refused: ${res.status} ${JSON.stringify(body)}`);
  return body.data.messageId;
}

/** An attachment for a local reply: a PDF named w9.pdf unless told otherwise. */
export function pdf(content: Buffer | string = '%PDF-1', name = 'w9.pdf'): LocalAttachment {
  return { name, contentType: 'application/pdf', contentBase64: Buffer.from(content).toString('base64') };
}
