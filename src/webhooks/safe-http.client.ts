// The one HTTP client for URLs that customers choose (STYLE.md lesson 11). The address check happens inside the
// connector, on the addresses we are about to dial, and the socket is opened to the vetted IP literal itself: there
// is no second DNS lookup between "checked" and "connected" for a rebinding attacker to answer differently.
import dns from 'node:dns';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { Agent, buildConnector, request } from 'undici';
import { closeAllAgents, leaseAgent, type AgentLease } from './http-agent.pool';
import { inspectWebhookUrl, isForbiddenAddress } from './ssrf.guard';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address a hostname resolves to. Injectable so that tests can play a hostile DNS without touching one. */
export type HostResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

const systemResolver: HostResolver = async (hostname) => {
  const found = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

export const SAFE_HTTP_ERROR_CODES = ['INVALID_URL', 'FORBIDDEN_ADDRESS', 'DNS_FAILURE', 'TIMEOUT', 'NETWORK'] as const;
export type SafeHttpErrorCode = (typeof SAFE_HTTP_ERROR_CODES)[number];

export class SafeHttpError extends Error {
  constructor(
    readonly code: SafeHttpErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SafeHttpError';
  }
}

export interface SafeHttpOptions {
  /** WEBHOOK_ALLOW_PRIVATE: skip the address policy (never the "must be an IP literal" rule). */
  allowPrivate?: boolean;
  resolver?: HostResolver;
  connectTimeoutMs?: number;
  /** Stop reading the response after this many bytes: a receiver must not be able to stream at us forever. */
  maxResponseBytes?: number;
  /** How much of the response body to keep, for attempt records and debugging. */
  snippetChars?: number;
}

export interface SafePostRequest {
  headers: Record<string, string>;
  body: string;
  /** Everything: DNS, connect, request, response headers and the capped body read. */
  timeoutMs: number;
}

export interface SafeHttpResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  bodySnippet: string;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
const DEFAULT_SNIPPET_CHARS = 1024;

/**
 * The address to dial for `hostname`: an IP literal is checked as is, a name is resolved and refused if ANY of its
 * addresses is forbidden (a name that also points inside our network is not one we trust to stay outside it).
 */
export async function vetHost(hostname: string, options: SafeHttpOptions = {}): Promise<ResolvedAddress> {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const literal = net.isIP(bare);
  const addresses = literal ? [{ address: bare, family: literal as 4 | 6 }] : await resolveAll(bare, options);
  for (const { address } of addresses) {
    // A resolver that hands back a name instead of an address would make the socket resolve again, unchecked.
    if (!net.isIP(address)) throw new SafeHttpError('DNS_FAILURE', `${bare} resolved to a non-address (${address})`);
    if (!options.allowPrivate && isForbiddenAddress(address)) {
      throw new SafeHttpError('FORBIDDEN_ADDRESS', `${bare} resolves to a forbidden address (${address})`);
    }
  }
  return addresses[0] as ResolvedAddress;
}

async function resolveAll(hostname: string, options: SafeHttpOptions): Promise<readonly ResolvedAddress[]> {
  let addresses: readonly ResolvedAddress[];
  try {
    addresses = await (options.resolver ?? systemResolver)(hostname);
  } catch (err) {
    throw new SafeHttpError('DNS_FAILURE', `cannot resolve ${hostname}: ${errorMessage(err)}`, { cause: err });
  }
  if (addresses.length === 0) throw new SafeHttpError('DNS_FAILURE', `${hostname} has no addresses`);
  return addresses;
}

/**
 * An undici connector that vets the origin's host and dials the vetted address. TLS still verifies the certificate
 * against (and sends SNI for) the hostname from the URL, not the IP.
 */
export function createGuardedConnector(options: SafeHttpOptions = {}): buildConnector.connector {
  const connect = buildConnector({ timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS });
  return (target, callback) => {
    const fail = (err: unknown): void => callback(err instanceof Error ? err : new Error(String(err)), null);
    vetHost(target.hostname, options).then(({ address }) => {
      const servername = net.isIP(target.hostname) ? undefined : (target.servername ?? target.hostname);
      try {
        connect({ ...target, hostname: address, servername }, callback);
      } catch (err) {
        fail(err);
      }
    }, fail);
  };
}

/**
 * POST `req.body` to `url`. Redirects are never followed (the 3xx is returned as is): following one would
 * reopen every question this module answers. Throws SafeHttpError when no HTTP response was obtained.
 *
 * Connections are pooled per set of guard options (see leaseFor). A pooled socket was vetted when it was opened
 * and goes to the address vetted then, so reusing it skips nothing; only new connections need the guard again.
 */
export async function safePost(
  url: string,
  req: SafePostRequest,
  options: SafeHttpOptions = {},
): Promise<SafeHttpResponse> {
  const problem = inspectWebhookUrl(url, options);
  if (problem) throw new SafeHttpError(problem.code, problem.message);
  const guard: GuardOptions = {
    ...options,
    connectTimeoutMs: Math.min(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, req.timeoutMs),
  };
  const signal = AbortSignal.timeout(req.timeoutMs);
  const lease = leaseFor(guard);
  try {
    return await postVia(lease.agent, url, req, options, signal);
  } catch (err) {
    if (signal.aborted || !FRESH_CONNECTION_CODES.has(errorFields(err).code)) throw toSafeHttpError(err, req.timeoutMs);
  } finally {
    lease.release();
  }
  // The pooled socket died under us (the receiver closed it as we wrote), or the pool could not take the request.
  // undici never retries a POST, so we do, once, on a connection of its own, within the same deadline. A receiver
  // that read the request before dropping the socket sees it twice; the webhook-id is there to deduplicate.
  const agent = new Agent({ connect: createGuardedConnector(guard) });
  try {
    return await postVia(agent, url, req, options, signal);
  } catch (err) {
    throw toSafeHttpError(err, req.timeoutMs);
  } finally {
    agent.destroy().catch(() => undefined);
  }
}

async function postVia(
  agent: Agent,
  url: string,
  req: SafePostRequest,
  options: SafeHttpOptions,
  signal: AbortSignal,
): Promise<SafeHttpResponse> {
  const response = await request(url, {
    dispatcher: agent,
    method: 'POST',
    headers: req.headers,
    body: req.body,
    signal,
    headersTimeout: req.timeoutMs,
    bodyTimeout: req.timeoutMs,
  });
  const bodySnippet = await readSnippet(response.body, options);
  return { statusCode: response.statusCode, headers: response.headers, bodySnippet };
}

/**
 * Failures of a request that got no response on a pooled socket the receiver had given up on, and the pool's refusal
 * of one origin too many: worth one try on a fresh connection. Not UND_ERR_DESTROYED: that is us, stopping.
 */
const FRESH_CONNECTION_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_MAX_ORIGINS_REACHED']);

type GuardOptions = SafeHttpOptions & { connectTimeoutMs: number };

// Keyed by the resolver object too: a test playing hostile DNS must never be handed a socket another resolver vetted.
const resolverIds = new WeakMap<HostResolver, number>();
let resolversSeen = 0;

function leaseFor(guard: GuardOptions): AgentLease {
  const resolver = guard.resolver ?? systemResolver;
  let id = resolverIds.get(resolver);
  if (id === undefined) resolverIds.set(resolver, (id = resolversSeen++));
  const key = `${id}|${guard.allowPrivate === true}|${guard.connectTimeoutMs}`;
  return leaseAgent(key, () => createGuardedConnector(guard));
}

/** Close every pooled webhook connection (process stop); deliveries in flight get a short grace. */
export const closeWebhookAgents = closeAllAgents;

/**
 * Up to maxResponseBytes of the body, of which the first snippetChars are kept. The status line is the verdict, so
 * a body that breaks off (timeout, reset) still yields what arrived rather than failing the attempt.
 */
async function readSnippet(body: Readable, options: SafeHttpOptions): Promise<string> {
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of body) {
      const buffer = chunk as Buffer;
      chunks.push(buffer.subarray(0, maxBytes - received));
      received += buffer.length;
      if (received >= maxBytes) break;
    }
  } catch {
    // keep what arrived
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .slice(0, options.snippetChars ?? DEFAULT_SNIPPET_CHARS);
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function toSafeHttpError(err: unknown, timeoutMs: number): SafeHttpError {
  if (err instanceof SafeHttpError) return err;
  const { name, code } = errorFields(err);
  if (name === 'TimeoutError' || name === 'AbortError' || TIMEOUT_CODES.has(code)) {
    return new SafeHttpError('TIMEOUT', `no complete response within ${timeoutMs} ms`, { cause: err });
  }
  return new SafeHttpError('NETWORK', errorMessage(err), { cause: err });
}

function errorMessage(err: unknown): string {
  const { code, message } = errorFields(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

// Read by shape, not instanceof: an abort reason is a DOMException, which need not come from our realm's Error.
function errorFields(err: unknown): { name: string; code: string; message: string } {
  const fields = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  return { name: text(fields.name), code: text(fields.code), message: text(fields.message) || String(err) };
}
