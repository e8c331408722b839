// A webhook receiver on loopback: records every request byte for byte, verifies its Standard Webhooks signature the
// way a customer would (with the `standardwebhooks` package, not our code), and answers as the test scripts it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  /** Null when the signature verified; otherwise why it did not. */
  signatureError: string | null;
  receivedAt: Date;
}

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering (to provoke client timeouts). */
  delayMs?: number;
  /** Answer 302 (or `status`, if 3xx) with this Location. */
  redirectTo?: string;
  retryAfter?: string;
  /** Close the connection on this request without reading or recording it: a kept-alive socket given up on. */
  dropConnection?: boolean;
}

export interface WebhookReceiverOptions {
  /** The whsec_ secret to verify with; without it signatures are not checked. */
  secret?: string;
  host?: '127.0.0.1' | '::1';
  /** Listen on this port (a receiver coming back where an earlier one stopped); default: any free port. */
  port?: number;
}

export class WebhookReceiver {
  readonly requests: ReceivedWebhook[] = [];
  /** TCP connections accepted: a refused delivery never reached the socket, a pooled one opened none. */
  connections = 0;
  /** Requests whose connection was dropped (scripted dropConnection); they are not in `requests`. */
  dropped = 0;
  private readonly script: ScriptedResponse[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters: Array<() => void> = [];
  private readonly verifier: Webhook | null;

  private constructor(
    private readonly server: http.Server,
    options: WebhookReceiverOptions,
  ) {
    this.verifier = options.secret ? new Webhook(options.secret) : null;
    server.on('request', (req, res) => this.onRequest(req, res));
    server.on('connection', () => (this.connections += 1));
  }

  static async start(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(http.createServer(), options);
    await new Promise<void>((resolve, reject) => {
      receiver.server.once('error', reject);
      receiver.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** A URL on this receiver; `host` lets a test reach it by a name its injected resolver maps to loopback. */
  url(path = '/hooks', host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  /** Queue answers for the next requests, in order; once they run out every request gets 200. */
  respondWith(...responses: ScriptedResponse[]): this {
    this.script.push(...responses);
    return this;
  }

  async waitForRequests(count: number, timeoutMs = 5000): Promise<ReceivedWebhook[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} requests, got ${this.requests.length}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        this.later(resolve, 50);
      });
    }
    return this.requests.slice(0, count);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.script[0]?.dropConnection) {
      this.script.shift();
      this.dropped += 1;
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      this.record(req, rawBody);
      const scripted = this.script.shift() ?? {};
      this.later(() => this.answer(res, scripted), scripted.delayMs ?? 0);
    });
  }

  private record(req: http.IncomingMessage, rawBody: string): void {
    this.requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      rawBody,
      signatureError: this.verify(req.headers, rawBody),
      receivedAt: new Date(),
    });
    for (const wake of this.waiters.splice(0)) wake();
  }

  private verify(headers: http.IncomingHttpHeaders, rawBody: string): string | null {
    if (!this.verifier) return null;
    try {
      const flat = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));
      this.verifier.verify(rawBody, flat);
      return null;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  private answer(res: http.ServerResponse, scripted: ScriptedResponse): void {
    if (res.destroyed) return;
    const headers: Record<string, string> = { 'content-type': 'text/plain', ...scripted.headers };
    if (scripted.retryAfter !== undefined) headers['retry-after'] = scripted.retryAfter;
    if (scripted.redirectTo !== undefined) headers.location = scripted.redirectTo;
    const status = scripted.status ?? (scripted.redirectTo !== undefined ? 302 : 200);
    res.writeHead(status, headers).end(scripted.body ?? 'ok');
  }

  private later(run: () => void, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, delayMs);
    this.timers.add(timer);
  }
}
