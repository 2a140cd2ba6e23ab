import { ReturnUrlRefused, checkReturnUrl, registeredOrigin } from '../../../src/security/return-url';

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ReturnUrlRefused) return error.message;
    throw error;
  }
  return 'allowed';
}

describe('return URLs: registered origins only', () => {
  it('registers https origins as browsers write them, and http on loopback only in development', () => {
    const production = { allowLoopbackHttp: false };
    const development = { allowLoopbackHttp: true };
    expect(registeredOrigin('https://CRM.Example.com:443/', production)).toBe('https://crm.example.com');
    expect(registeredOrigin('https://crm.example.com:8443', production)).toBe('https://crm.example.com:8443');
    for (const loopback of [
      'http://localhost:5173',
      'http://127.0.0.1:3000/',
      'http://[::1]:8080',
      'http://app.localhost',
    ])
      expect({
        loopback,
        development: refusal(() => registeredOrigin(loopback, development)),
        production: refusal(() => registeredOrigin(loopback, production)),
      }).toEqual({
        loopback,
        development: 'allowed',
        production: 'must be https',
      });
    expect(refusal(() => registeredOrigin('http://crm.example.com', development))).toBe(
      'must be https (or http on a loopback host, such as http://localhost:5173)',
    );
    expect(refusal(() => registeredOrigin('javascript:alert(1)', development))).toMatch(/^must be https/);
    expect(refusal(() => registeredOrigin('https://crm.example.com/back?to=1', production))).toBe(
      'must be an origin only, such as https://crm.example.com: no path, query or user name',
    );
    expect(refusal(() => registeredOrigin('crm.example.com', production))).toBe('is not a URL');
  });

  it('allows a return URL only on an allowed origin, over http(s), without user-info', () => {
    const allowed = ['https://crm.example.com', 'http://localhost:5173'];
    expect(checkReturnUrl('https://crm.example.com/settings?tab=qbo#top', allowed).href).toBe(
      'https://crm.example.com/settings?tab=qbo#top',
    );
    expect(checkReturnUrl('http://localhost:5173/back', allowed).origin).toBe('http://localhost:5173');
    for (const [url, message] of [
      ['javascript:alert(1)', 'must be an https URL (this one is javascript:)'],
      ['JaVaScRiPt:alert(1)', 'must be an https URL (this one is javascript:)'],
      ['data:text/html,hi', 'must be an https URL (this one is data:)'],
      ['//evil.example/', 'is not a URL'],
      ['https://crm.example.com@evil.example/', 'must not carry a user name or password (user@host)'],
      ['https://user@crm.example.com/', 'must not carry a user name or password (user@host)'],
      ['http://crm.example.com/', expect.stringContaining('http://crm.example.com is not one')],
      ['https://crm.example.com.evil.example/', expect.stringContaining('is not one')],
    ] as const)
      expect({ url, refusal: refusal(() => checkReturnUrl(url, allowed)) }).toEqual({
        url,
        refusal: message,
      });
  });
});
