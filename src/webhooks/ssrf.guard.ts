// Which destinations a webhook may reach. Customers choose webhook URLs, so without this guard they could make our
// workers POST into our own network or a cloud metadata service. Everything here is pure: the address check runs
// at input time (on the URL) and again at connect time (on every resolved address, see safe-http.client.ts).
import ipaddr from 'ipaddr.js';

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

/**
 * Spelled out even though ipaddr.js's range() already classifies most of them, so that the policy does not shift
 * silently when the library's tables change and a reader can see what is refused.
 */
const FORBIDDEN_IPV4_CIDRS = [
  '0.0.0.0/8', // "this network"; 0.0.0.0 reaches the local host on Linux
  '10.0.0.0/8', // private
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local, including the 169.254.169.254 metadata service
  '172.16.0.0/12', // private
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // documentation
  '192.88.99.0/24', // deprecated 6to4 relay anycast
  '192.168.0.0/16', // private
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // documentation
  '203.0.113.0/24', // documentation
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, including broadcast 255.255.255.255
] as const;

const FORBIDDEN_IPV6_CIDRS = [
  '::/96', // unspecified, loopback and the deprecated IPv4-compatible form ::a.b.c.d
  '64:ff9b:1::/48', // local-use NAT64: by definition inside someone's network
  '100::/64', // discard-only
  '2001:db8::/32', // documentation
  '3fff::/20', // documentation
  '5f00::/16', // segment routing
  'fc00::/7', // unique-local
  'fe80::/10', // link-local
  'fec0::/10', // deprecated site-local
  'ff00::/8', // multicast
] as const;

const V4_CIDRS = FORBIDDEN_IPV4_CIDRS.map((cidr) => ipaddr.IPv4.parseCIDR(cidr));
const V6_CIDRS = FORBIDDEN_IPV6_CIDRS.map((cidr) => ipaddr.IPv6.parseCIDR(cidr));
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/** Names that reach the local host or a metadata service without depending on what DNS says. */
const FORBIDDEN_HOSTNAMES = ['localhost', 'metadata', 'metadata.google.internal', 'instance-data'] as const;
/** Suffixes reserved for local or private use (RFC 6761, RFC 6762, ICANN's .internal, RFC 8375). */
const FORBIDDEN_HOSTNAME_SUFFIXES = ['.localhost', '.local', '.localdomain', '.internal', '.home.arpa'] as const;

const MAX_URL_LENGTH = 2048;

/**
 * True when `ip` must not be contacted. Anything that does not parse as an address is refused: the caller is about
 * to hand it to the network stack, and a string we cannot classify is not one we can vouch for.
 */
export function isForbiddenAddress(ip: string): boolean {
  const bare = stripBrackets(ip);
  if (!ipaddr.isValid(bare)) return true;
  const parsed = ipaddr.parse(bare);
  return parsed.kind() === 'ipv4' ? isForbiddenIPv4(parsed as IPv4) : isForbiddenIPv6(parsed as IPv6);
}

function isForbiddenIPv4(address: IPv4): boolean {
  return address.range() !== 'unicast' || V4_CIDRS.some((cidr) => address.match(cidr));
}

function isForbiddenIPv6(address: IPv6): boolean {
  // An address that carries an IPv4 address is reached through it, so it is only as safe as what it carries.
  const embedded = embeddedIPv4(address);
  if (embedded) return embedded.some(isForbiddenIPv4);
  return address.range() !== 'unicast' || V6_CIDRS.some((cidr) => address.match(cidr));
}

/** The IPv4 addresses an IPv6 address tunnels or translates to, or null when it embeds none. */
function embeddedIPv4(address: IPv6): IPv4[] | null {
  const p = address.parts;
  const v4 = (high: number, low: number): IPv4 => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  switch (address.range()) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
      return [v4(p[6] ?? 0, p[7] ?? 0)];
    case 'rfc6052': // 64:ff9b::a.b.c.d; the local-use /48 is refused by its CIDR instead
      return address.match(NAT64_WELL_KNOWN) ? [v4(p[6] ?? 0, p[7] ?? 0)] : null;
    case '6to4': // 2002:aabb:ccdd::/48
      return [v4(p[1] ?? 0, p[2] ?? 0)];
    case 'teredo': // 2001:0:<server v4>:<flags>:<port>:<client v4 with every bit inverted>
      return [v4(p[2] ?? 0, p[3] ?? 0), v4(~(p[6] ?? 0) & 0xffff, ~(p[7] ?? 0) & 0xffff)];
    default:
      return null;
  }
}

export interface UrlCheckOptions {
  /** WEBHOOK_ALLOW_PRIVATE: lets loopback and private targets through (development, tests, on-premises). */
  allowPrivate?: boolean;
}

export type UrlProblem = { code: 'INVALID_URL' | 'FORBIDDEN_ADDRESS'; message: string };

/**
 * What is wrong with `url` as a webhook target, judged from its text alone (no DNS), or null when it may be used.
 * A hostname that passes can still resolve somewhere forbidden; the connect-time check in safe-http.client.ts catches that.
 */
export function inspectWebhookUrl(url: string, options: UrlCheckOptions = {}): UrlProblem | null {
  if (url.length > MAX_URL_LENGTH) return invalid(`webhook URL must be at most ${MAX_URL_LENGTH} characters`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return invalid('webhook URL is not a valid absolute URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return invalid('webhook URL must use http or https');
  // Credentials in a URL end up in logs and attempt records; the signature is how receivers authenticate us.
  if (parsed.username || parsed.password) return invalid('webhook URL must not contain credentials');
  if (options.allowPrivate) return null;
  return inspectHost(parsed.hostname);
}

/** inspectWebhookUrl for input validation: the message to show, or null when the URL is acceptable. */
export function checkWebhookUrlSyntax(url: string, options: UrlCheckOptions = {}): string | null {
  return inspectWebhookUrl(url, options)?.message ?? null;
}

function inspectHost(rawHost: string): UrlProblem | null {
  const host = stripBrackets(rawHost).toLowerCase().replace(/\.+$/, '');
  // The URL parser has already turned 0x7f.1, 2130706433 and the like into dotted decimal.
  if (ipaddr.isValid(host)) {
    return isForbiddenAddress(host) ? forbidden(`webhook URL points at a forbidden address (${host})`) : null;
  }
  if (isForbiddenHostname(host)) return forbidden(`webhook URL host ${host} is private or local`);
  return null;
}

function isForbiddenHostname(host: string): boolean {
  if ((FORBIDDEN_HOSTNAMES as readonly string[]).includes(host)) return true;
  if (FORBIDDEN_HOSTNAME_SUFFIXES.some((suffix) => host.endsWith(suffix))) return true;
  // A single label is completed by the resolver's search domains, i.e. it names a host on our own network.
  return !host.includes('.');
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

const invalid = (message: string): UrlProblem => ({ code: 'INVALID_URL', message });
const forbidden = (message: string): UrlProblem => ({ code: 'FORBIDDEN_ADDRESS', message });
