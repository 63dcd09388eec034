import { createSourceAllowlist, parseCidr } from '../../src/http/source-allowlist';

describe('parseCidr', () => {
  it.each([
    ['203.0.113.0/24', { family: 'ipv4', address: '203.0.113.0', prefix: 24 }],
    ['203.0.113.7', { family: 'ipv4', address: '203.0.113.7', prefix: 32 }],
    ['2001:db8::/32', { family: 'ipv6', address: '2001:db8::', prefix: 32 }],
    ['::1', { family: 'ipv6', address: '::1', prefix: 128 }],
  ])('reads %s', (text, cidr) => expect(parseCidr(text)).toEqual(cidr));

  it.each([
    '',
    'example.com',
    '203.0.113.0/33',
    '203.0.113.0/',
    '203.0.113.0/2x',
    '1.2.3/8',
    '::/129',
  ])('refuses %j', (text) => expect(parseCidr(text)).toBeUndefined());
});

describe('createSourceAllowlist', () => {
  const list = createSourceAllowlist({
    cidrs: ['198.51.100.0/24', '2001:db8::/32'],
    trustedProxies: ['10.0.0.0/8'],
  });

  it('is off (allows every source) with no CIDRs', () => {
    const off = createSourceAllowlist({ cidrs: [], trustedProxies: [] });
    expect(off.enabled).toBe(false);
    expect(off.allows('203.0.113.1', undefined)).toBe(true);
  });

  it('checks the direct peer, IPv4-mapped IPv6 included', () => {
    expect(list.allows('198.51.100.7', undefined)).toBe(true);
    expect(list.allows('::ffff:198.51.100.7', undefined)).toBe(true);
    expect(list.allows('2001:db8::1', undefined)).toBe(true);
    expect(list.allows('203.0.113.1', undefined)).toBe(false);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(list.allows('203.0.113.1', '198.51.100.7')).toBe(false);
    expect(list.clientAddress('203.0.113.1', '198.51.100.7')).toBe('203.0.113.1');
  });

  it('takes the right-most untrusted hop from a trusted proxy', () => {
    expect(list.clientAddress('10.1.2.3', '198.51.100.7')).toBe('198.51.100.7');
    expect(list.allows('10.1.2.3', '198.51.100.7')).toBe(true);
    expect(list.allows('10.1.2.3', '198.51.100.7, 10.9.9.9')).toBe(true);
    // The client claims an allowed address; the hop the proxy saw is not allowed.
    expect(list.allows('10.1.2.3', '198.51.100.7, 203.0.113.1')).toBe(false);
    expect(list.clientAddress('10.1.2.3', '198.51.100.7, 203.0.113.1')).toBe('203.0.113.1');
  });

  it('refuses a malformed X-Forwarded-For from a trusted proxy', () => {
    expect(list.allows('10.1.2.3', 'unknown')).toBe(false);
    expect(list.allows('10.1.2.3', '198.51.100.7, ')).toBe(false);
  });

  it('refuses a trusted proxy that forwards nothing (it is not Tencent)', () => {
    expect(list.allows('10.1.2.3', undefined)).toBe(false);
  });
});
