import {
  OutboundGuard,
  OutboundUrlRefused,
  checkOutboundUrl,
  nonPublicAddress,
} from '../../../src/security/outbound-url';

const strict = { allowPrivateNetworks: false };
const local = { allowPrivateNetworks: true };

function refusal(raw: string, policy = strict): string {
  try {
    checkOutboundUrl(raw, policy);
  } catch (error) {
    if (error instanceof OutboundUrlRefused) return error.message;
    throw error;
  }
  return 'allowed';
}

describe('outbound URLs: public addresses over https only, unless private networks are allowed', () => {
  it('names why an address is not public, IPv4-mapped IPv6 included', () => {
    expect(
      Object.fromEntries(
        [
          '127.0.0.1',
          '10.1.2.3',
          '172.16.0.1',
          '192.168.1.1',
          '169.254.169.254',
          '0.0.0.0',
          '100.64.0.1',
          '::1',
          '::',
          'fe80::1',
          'fd00::1',
          '::ffff:127.0.0.1',
          '::ffff:a9fe:a9fe',
          '224.0.0.1',
          '8.8.8.8',
          '2606:4700:4700::1111',
        ].map((address) => [address, nonPublicAddress(address) ?? 'public']),
      ),
    ).toEqual({
      '127.0.0.1': '127.0.0.1, a loopback address',
      '10.1.2.3': '10.1.2.3, a private-network address',
      '172.16.0.1': '172.16.0.1, a private-network address',
      '192.168.1.1': '192.168.1.1, a private-network address',
      '169.254.169.254': '169.254.169.254, a link-local address (where cloud metadata services live)',
      '0.0.0.0': '0.0.0.0, the unspecified address',
      '100.64.0.1': '100.64.0.1, a carrier-grade NAT address',
      '::1': '::1, a loopback address',
      '::': '::, the unspecified address',
      'fe80::1': 'fe80::1, a link-local address (where cloud metadata services live)',
      'fd00::1': 'fd00::1, a private-network address',
      '::ffff:127.0.0.1': '127.0.0.1, a loopback address',
      '::ffff:a9fe:a9fe': '169.254.169.254, a link-local address (where cloud metadata services live)',
      '224.0.0.1': '224.0.0.1, a multicast address',
      '8.8.8.8': 'public',
      '2606:4700:4700::1111': 'public',
    });
  });

  it('reads decimal, octal, hex and short IPv4 forms as the address they are', () => {
    for (const raw of [
      'https://2130706433/',
      'https://0x7f.1/',
      'https://0x7f000001/',
      'https://0177.0.0.1/',
      'https://127.1/',
      'https://[::ffff:127.0.0.1]/',
      'https://[::ffff:7f00:1]/',
    ])
      expect({ raw, refusal: refusal(raw) }).toEqual({
        raw,
        refusal: 'must point to a public address: its host is 127.0.0.1, a loopback address',
      });
    expect(refusal('https://0/')).toBe(
      'must point to a public address: its host is 0.0.0.0, the unspecified address',
    );
  });

  it('refuses user-info, whatever it hides, and other schemes', () => {
    const userInfo =
      'must not carry a user name or password (user@host); deliveries are authenticated by their signature';
    expect(refusal('https://user:secret@93.184.215.14/hooks')).toBe(userInfo);
    expect(refusal('https://93.184.215.14@127.0.0.1/')).toBe(userInfo);
    expect(refusal('https://user@93.184.215.14/', local)).toBe(userInfo);
    expect(refusal('http://93.184.215.14/hooks')).toBe('must be an https URL (this one is http:)');
    expect(refusal('ftp://93.184.215.14/', local)).toBe('must be an http or https URL (this one is ftp:)');
    expect(refusal('not a url')).toBe('is not a URL');
  });

  it('allows a public https address, and anything http(s) when private networks are allowed', () => {
    expect(refusal('https://93.184.215.14/hooks')).toBe('allowed');
    expect(refusal('https://[2606:4700:4700::1111]/hooks')).toBe('allowed');
    expect(refusal('https://crm.example.com/hooks')).toBe('allowed');
    for (const raw of [
      'http://127.0.0.1:3000/hooks',
      'http://2130706433/',
      'https://[::1]/',
      'http://localhost/',
    ])
      expect({ raw, refusal: refusal(raw, local) }).toEqual({ raw, refusal: 'allowed' });
  });

  describe('check(): what a name resolves to when it is stored', () => {
    const guards: OutboundGuard[] = [];
    afterAll(() => Promise.all(guards.map((guard) => guard.close())));
    const guard = (...args: ConstructorParameters<typeof OutboundGuard>): OutboundGuard => {
      const made = new OutboundGuard(...args);
      guards.push(made);
      return made;
    };

    it('refuses a name that resolves to a private address, by the real resolver (localhost)', async () => {
      await expect(guard(strict).check('https://localhost/hooks', 3000)).rejects.toThrow(
        /^must point to a public address: its host localhost resolves to (127\.0\.0\.1|::1), a loopback address$/,
      );
    });

    it('refuses a name when any of its addresses is private', async () => {
      const resolved: string[] = [];
      const resolver = guard(strict, (hostname) => {
        resolved.push(hostname);
        return Promise.resolve([
          { address: '93.184.215.14', family: 4 },
          { address: '10.0.0.7', family: 4 },
        ]);
      });
      await expect(resolver.check('https://crm.example.com/hooks', 3000)).rejects.toThrow(
        'must point to a public address: its host crm.example.com resolves to 10.0.0.7, a private-network address',
      );
      expect(resolved).toEqual(['crm.example.com']);
    });

    it('lets through a public name, and one that does not resolve yet (each delivery judges it again)', async () => {
      const publicName = guard(strict, () => Promise.resolve([{ address: '93.184.215.14', family: 4 }]));
      await expect(publicName.check('https://crm.example.com/hooks', 3000)).resolves.toBeInstanceOf(URL);
      const unknown = guard(strict, () =>
        Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })),
      );
      await expect(unknown.check('https://crm.invalid/hooks', 3000)).resolves.toBeInstanceOf(URL);
      const hanging = guard(strict, () => new Promise(() => undefined));
      const started = Date.now();
      await expect(hanging.check('https://slow.example.com/hooks', 50)).resolves.toBeInstanceOf(URL);
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('resolves nothing when private networks are allowed', async () => {
      const resolver = guard(local, () => Promise.reject(new Error('must not be called')));
      await expect(resolver.check('http://localhost:3000/hooks', 3000)).resolves.toBeInstanceOf(URL);
    });
  });
});
