// The connect-time guard on its own, with a scripted resolver and the socket layer stubbed out: nothing here may
// open a connection, so net.connect and tls.connect throw if they are ever reached.
import net from 'node:net';
import tls from 'node:tls';
import {
  createGuardedConnector,
  SafeHttpError,
  vetHost,
  type HostResolver,
  type ResolvedAddress,
} from '../../../src/webhooks/safe-http.client';

const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
const v6 = (address: string): ResolvedAddress => ({ address, family: 6 });

function resolverFor(table: Record<string, ResolvedAddress[]>): jest.MockedFunction<HostResolver> {
  return jest.fn((hostname: string) => {
    const found = table[hostname];
    if (found) return Promise.resolve(found);
    return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
  });
}

const hostile = resolverFor({
  'private.test': [v4('10.0.0.7')],
  'metadata.test': [v4('169.254.169.254')],
  'mixed.test': [v4('93.184.215.14'), v4('10.0.0.5')],
  'mixed6.test': [v6('2606:4700:4700::1111'), v6('fd00::5')],
  'mapped.test': [v6('::ffff:127.0.0.1')],
  'loop6.test': [v6('::1')],
  'public.test': [v4('93.184.215.14'), v6('2606:4700:4700::1111')],
  'name.test': [v4('evil.example')],
  'empty.test': [],
});

async function refusal(promise: Promise<unknown>): Promise<SafeHttpError> {
  const err: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SafeHttpError);
  return err as SafeHttpError;
}

describe('vetHost', () => {
  it.each([
    ['10.0.0.1'],
    ['169.254.169.254'],
    ['::1'],
    ['[::1]'],
    ['::ffff:10.0.0.1'],
    ['private.test'],
    ['metadata.test'],
    ['mixed.test'],
    ['mixed6.test'],
    ['mapped.test'],
    ['loop6.test'],
  ])('refuses %s', async (host) => {
    const err = await refusal(vetHost(host, { resolver: hostile }));
    expect(err.code).toBe('FORBIDDEN_ADDRESS');
  });

  it('returns the first address of a host whose addresses are all public', async () => {
    await expect(vetHost('public.test', { resolver: hostile })).resolves.toEqual(v4('93.184.215.14'));
  });

  it('checks literals without asking the resolver', async () => {
    const resolver = resolverFor({});
    await expect(vetHost('8.8.8.8', { resolver })).resolves.toEqual(v4('8.8.8.8'));
    await expect(vetHost('[2606:4700:4700::1111]', { resolver })).resolves.toEqual(v6('2606:4700:4700::1111'));
    expect(resolver).not.toHaveBeenCalled();
  });

  it('lets private addresses through only with allowPrivate', async () => {
    await expect(vetHost('private.test', { resolver: hostile, allowPrivate: true })).resolves.toEqual(v4('10.0.0.7'));
    await expect(vetHost('127.0.0.1', { allowPrivate: true })).resolves.toEqual(v4('127.0.0.1'));
  });

  it.each([['nowhere.test'], ['empty.test'], ['name.test']])('reports %s as a DNS failure', async (host) => {
    // Even with allowPrivate: a resolver answer that is not an address would be looked up again, unchecked.
    const err = await refusal(vetHost(host, { resolver: hostile, allowPrivate: true }));
    expect(err.code).toBe('DNS_FAILURE');
  });
});

describe('createGuardedConnector', () => {
  let netConnect: jest.SpyInstance;
  let tlsConnect: jest.SpyInstance;
  beforeEach(() => {
    const refuse = (): never => {
      throw new Error('a connection was attempted');
    };
    netConnect = jest.spyOn(net, 'connect').mockImplementation(refuse);
    tlsConnect = jest.spyOn(tls, 'connect').mockImplementation(refuse);
  });
  afterEach(() => jest.restoreAllMocks());

  function connectTo(hostname: string, protocol: 'http:' | 'https:'): Promise<Error | null> {
    const connector = createGuardedConnector({ resolver: hostile });
    return new Promise((resolve) => {
      connector({ hostname, host: hostname, protocol, port: '' }, (...args) => resolve(args[0]));
    });
  }

  it.each([
    ['10.0.0.1', 'http:'],
    ['169.254.169.254', 'http:'],
    ['::1', 'https:'],
    ['fe80::1', 'https:'],
    ['private.test', 'http:'],
    ['mixed.test', 'https:'],
    ['mapped.test', 'http:'],
  ] as const)('refuses %s over %s before any socket exists', async (hostname, protocol) => {
    const err = await connectTo(hostname, protocol);
    expect(err).toBeInstanceOf(SafeHttpError);
    expect((err as SafeHttpError).code).toBe('FORBIDDEN_ADDRESS');
    expect(netConnect).not.toHaveBeenCalled();
    expect(tlsConnect).not.toHaveBeenCalled();
  });

  it('dials the vetted IP and keeps the hostname for TLS SNI and certificate checks', async () => {
    const err = await connectTo('public.test', 'https:');
    expect(err?.message).toBe('a connection was attempted'); // the stub stopped it
    expect(tlsConnect).toHaveBeenCalledTimes(1);
    expect(tlsConnect).toHaveBeenCalledWith(
      expect.objectContaining({ host: '93.184.215.14', servername: 'public.test' }),
    );
  });
});
