// An HTTP stand-in for the one Twilio REST call Offload makes (Messages.create), with Twilio's observable rules:
// HTTP Basic auth with the Account SID and auth token, a form-encoded body, a 201 with the message resource, and
// errors as { code, message, more_info, status }. It signs webhooks the way Twilio does, independently of the SDK.
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SentText {
  accountSid: string;
  /** The form fields as sent: To, From or MessagingServiceSid, Body, StatusCallback. */
  form: Record<string, string>;
  sid: string;
}

export interface TwilioFake {
  /** What TWILIO_BASE_URL points at. */
  readonly baseUrl: string;
  readonly accountSid: string;
  readonly authToken: string;
  /** Every message the API accepted, in order. */
  readonly sent: SentText[];
  /** Requests refused for bad credentials. */
  readonly unauthorized: number;
  /** The next Messages.create is answered with this HTTP status and Twilio error code instead. */
  failNext(status: number, code: number, message: string): void;
  textsTo(number: string): SentText[];
  close(): Promise<void>;
}

export const newMessageSid = (): string => `SM${randomBytes(16).toString('hex')}`;

/**
 * X-Twilio-Signature as Twilio computes it: HMAC-SHA1 keyed with the auth token over the full URL followed by each
 * POST parameter's name and value, names sorted; base64.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

export async function startTwilioFake(): Promise<TwilioFake> {
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const sent: SentText[] = [];
  const failures: Array<{ status: number; code: number; message: string }> = [];
  let unauthorized = 0;

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => json(res, 500, { message: String(error) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const match = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Messages\.json$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match)
      return json(res, 404, twilioError(404, 20404, 'The requested resource was not found'));
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected || match[1] !== accountSid) {
      unauthorized++;
      return json(res, 401, twilioError(401, 20003, 'Authenticate'));
    }
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
      return json(res, 400, twilioError(400, 21100, 'content type must be form-encoded'));
    const form = Object.fromEntries(new URLSearchParams(body));
    if (!form.To || !form.Body || !(form.From || form.MessagingServiceSid))
      return json(res, 400, twilioError(400, 21604, "A 'To', 'Body' and 'From' or 'MessagingServiceSid' are required"));
    const failure = failures.shift();
    if (failure) return json(res, failure.status, twilioError(failure.status, failure.code, failure.message));
    const sid = newMessageSid();
    sent.push({ accountSid, form, sid });
    const now = new Date().toUTCString();
    json(res, 201, {
      account_sid: accountSid,
      api_version: '2010-04-01',
      body: form.Body,
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: form.From ?? null,
      messaging_service_sid: form.MessagingServiceSid ?? null,
      num_media: '0',
      num_segments: String(Math.ceil(form.Body.length / 153)),
      price: null,
      price_unit: 'USD',
      sid,
      status: 'queued',
      subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}/Media.json` },
      to: form.To,
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    sent,
    get unauthorized() {
      return unauthorized;
    },
    failNext: (status, code, message) => void failures.push({ status, code, message }),
    textsTo: (number) => sent.filter((s) => s.form.To === number),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function twilioError(status: number, code: number, message: string) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
