import { checkWebhookUrlSyntax, inspectWebhookUrl, isForbiddenAddress } from '../../../src/webhooks/ssrf.guard';

describe('isForbiddenAddress', () => {
  it.each([
    // IPv4
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', '"this network"'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'metadata service'],
    ['169.254.0.1', 'link-local'],
    ['100.64.0.1', 'CGNAT'],
    ['100.127.255.255', 'CGNAT'],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['192.0.2.10', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    // IPv6
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback in URL brackets'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local with zone'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['100::1', 'discard'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata, hex form'],
    ['::ffff:0:192.168.0.1', 'IPv4-translated private'],
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['64:ff9b::10.0.0.1', 'NAT64 of private'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of metadata'],
    ['64:ff9b:1::808:808', 'local-use NAT64'],
    ['2002:0a00:0001::1', '6to4 of 10.0.0.1'],
    ['2002:7f00:0001::1', '6to4 of 127.0.0.1'],
    ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'Teredo with client 10.0.0.1'],
    ['2001:0:0a00:0001:8000:63bf:f7f6:fefe', 'Teredo with server 10.0.0.1'],
    // Not addresses: refused rather than guessed at
    ['example.com', 'a hostname'],
    ['', 'empty'],
    ['1.2.3.4.5', 'garbage'],
  ])('refuses %s (%s)', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(true);
  });

  it.each([
    ['8.8.8.8'],
    ['1.1.1.1'],
    ['93.184.215.14'],
    ['100.63.255.255'], // just below CGNAT
    ['100.128.0.0'], // just above CGNAT
    ['172.15.255.255'], // just below 172.16/12
    ['172.32.0.0'], // just above it
    ['169.253.255.255'],
    ['2606:4700:4700::1111'],
    ['2a00:1450:4001:82a::200e'],
    ['::ffff:8.8.8.8'], // mapped public
    ['64:ff9b::808:808'], // NAT64 of 8.8.8.8
    ['2002:0808:0808::1'], // 6to4 of 8.8.8.8
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7'], // Teredo: server 65.54.227.120, client 8.8.8.8
  ])('allows public %s', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(false);
  });
});

describe('checkWebhookUrlSyntax', () => {
  it.each([
    ['not a url', /not a valid absolute URL/],
    ['/relative/path', /not a valid absolute URL/],
    ['ftp://example.com/hook', /http or https/],
    ['file:///etc/passwd', /http or https/],
    ['javascript:alert(1)', /http or https/],
    ['https://user:pass@example.com/hook', /credentials/],
    ['https://token@example.com/hook', /credentials/],
    [`https://example.com/${'a'.repeat(2048)}`, /at most 2048/],
    ['http://127.0.0.1/hook', /forbidden address/],
    ['http://2130706433/hook', /forbidden address \(127\.0\.0\.1\)/], // decimal form
    ['http://0x7f.1/hook', /forbidden address \(127\.0\.0\.1\)/], // hex shorthand
    ['http://0/hook', /forbidden address/],
    ['http://10.1.2.3:8080/hook', /forbidden address/],
    ['http://169.254.169.254/latest/meta-data', /forbidden address/],
    ['http://[::1]/hook', /forbidden address/],
    ['http://[::ffff:169.254.169.254]/', /forbidden address/],
    ['http://[fd00::1]/hook', /forbidden address/],
    ['http://localhost:3000/hook', /private or local/],
    ['http://LOCALHOST./hook', /private or local/],
    ['http://api.localhost/hook', /private or local/],
    ['http://metadata.google.internal/computeMetadata/v1/', /private or local/],
    ['http://metadata/computeMetadata/v1/', /private or local/],
    ['http://printer.local/hook', /private or local/],
    ['http://intranet/hook', /private or local/],
  ])('refuses %s', (url, message) => {
    expect(checkWebhookUrlSyntax(url)).toMatch(message);
  });

  it.each([
    ['https://hooks.example.com/offload'],
    ['http://example.com:8080/hook?x=1'],
    ['https://8.8.8.8/hook'],
    ['https://[2606:4700:4700::1111]/hook'],
  ])('accepts %s', (url) => {
    expect(checkWebhookUrlSyntax(url)).toBeNull();
  });

  it('lets private and local targets through with allowPrivate, but not bad schemes or credentials', () => {
    const allowPrivate = { allowPrivate: true };
    expect(checkWebhookUrlSyntax('http://127.0.0.1:4000/hook', allowPrivate)).toBeNull();
    expect(checkWebhookUrlSyntax('http://localhost:4000/hook', allowPrivate)).toBeNull();
    expect(checkWebhookUrlSyntax('http://receiver/hook', allowPrivate)).toBeNull();
    expect(checkWebhookUrlSyntax('ftp://127.0.0.1/', allowPrivate)).toMatch(/http or https/);
    expect(checkWebhookUrlSyntax('http://a:b@127.0.0.1/', allowPrivate)).toMatch(/credentials/);
  });

  it('tells a bad URL from a forbidden target', () => {
    expect(inspectWebhookUrl('nope')?.code).toBe('INVALID_URL');
    expect(inspectWebhookUrl('http://10.0.0.1/')?.code).toBe('FORBIDDEN_ADDRESS');
    expect(inspectWebhookUrl('http://localhost/')?.code).toBe('FORBIDDEN_ADDRESS');
  });
});
