import { embedPanelPath, mintEmbedToken, verifyEmbedToken } from '../../../src/api/embed/token';
import { signState } from '../../../src/security/signed-state';

const secret = 'a-test-secret-of-enough-length';
const now = Date.parse('2026-03-02T17:00:00Z');
const claims = { accountId: 'acct_1', connectionId: 'conn_1', crmContactId: 'crm 1/ä' };

describe('embed tokens', () => {
  it('carry the account, connection and contact until they expire', () => {
    const { token, expiresAt } = mintEmbedToken({ ...claims, ttlSeconds: 600 }, secret, now);
    expect(expiresAt.toISOString()).toBe('2026-03-02T17:10:00.000Z');
    expect(verifyEmbedToken(token, secret, now + 599_000)).toEqual({
      ok: true,
      claims: { ...claims, exp: now + 600_000 },
    });
    expect(verifyEmbedToken(token, secret, now + 600_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('are refused when forged, altered or signed with another secret', () => {
    const { token } = mintEmbedToken({ ...claims, ttlSeconds: 60 }, secret, now);
    const [body, signature] = token.split('.') as [string, string];
    const altered = Buffer.from(
      Buffer.from(body, 'base64url').toString().replace('crm 1/ä', 'crm 2'),
    ).toString('base64url');
    expect(verifyEmbedToken(`${altered}.${signature}`, secret, now)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyEmbedToken(token, 'another-secret-of-enough-length', now)).toMatchObject({ ok: false });
    expect(verifyEmbedToken('garbage', secret, now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('cannot be stood in for by an OAuth state signed with the same secret', () => {
    const state = signState(secret, claims, 60_000, now);
    expect(verifyEmbedToken(state, secret, now)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('live at most an hour and need a real secret', () => {
    expect(() => mintEmbedToken({ ...claims, ttlSeconds: 3601 }, secret, now)).toThrow(RangeError);
    expect(() => mintEmbedToken({ ...claims, ttlSeconds: 0 }, secret, now)).toThrow(RangeError);
    expect(() => mintEmbedToken({ ...claims, ttlSeconds: 1.5 }, secret, now)).toThrow(RangeError);
    expect(() => mintEmbedToken({ ...claims, ttlSeconds: 60 }, 'short', now)).toThrow(RangeError);
    expect(mintEmbedToken({ ...claims, ttlSeconds: 3600 }, secret, now).token).toMatch(/^[\w-]+\.[\w-]+$/);
  });

  it('go into the panel path, encoded', () => {
    expect(embedPanelPath('crm 1/ä', 'a.b')).toBe('/embed/contacts/crm%201%2F%C3%A4/quickbooks?token=a.b');
  });
});
