import { mintEmbedToken } from '../../../src/api/embed';
import {
  mintUnsubscribeToken,
  unsubscribeHeaders,
  verifyUnsubscribeToken,
  type UnsubscribeClaims,
} from '../../../src/followups/unsubscribe';

describe('unsubscribe links', () => {
  const secret = 'a-secret-of-at-least-16-characters';
  const claims: UnsubscribeClaims = {
    accountId: 'acct-1',
    connectionId: 'conn-1',
    qboCustomerId: '42',
    email: 'amy@example.com',
  };
  const now = Date.parse('2026-03-02T18:00:00Z');

  it('reads back the connection, customer and address it was signed for', () => {
    const token = mintUnsubscribeToken(claims, secret, now);
    expect(verifyUnsubscribeToken(token, secret, now + 1000)).toEqual({ ok: true, claims });
  });

  it('refuses a token whose payload or signature was changed, or signed with another secret', () => {
    const token = mintUnsubscribeToken(claims, secret, now);
    const [body, signature] = token.split('.') as [string, string];
    const otherCustomer = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString('utf8')), qboCustomerId: '43' }),
    ).toString('base64url');
    expect(verifyUnsubscribeToken(`${otherCustomer}.${signature}`, secret, now)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyUnsubscribeToken(`${body}.${signature.slice(1)}x`, secret, now)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyUnsubscribeToken(token, 'another-secret-of-16-characters', now)).toMatchObject({
      ok: false,
    });
    expect(verifyUnsubscribeToken('not-a-token', secret, now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('does not take a panel token signed with the same secret', () => {
    const { token } = mintEmbedToken(
      { accountId: 'acct-1', connectionId: 'conn-1', crmContactId: 'crm-1', ttlSeconds: 60 },
      secret,
      now,
    );
    expect(verifyUnsubscribeToken(token, secret, now)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('lasts a year, as an email may stay in an inbox', () => {
    const token = mintUnsubscribeToken(claims, secret, now);
    const day = 24 * 60 * 60 * 1000;
    expect(verifyUnsubscribeToken(token, secret, now + 365 * day)).toMatchObject({ ok: true });
    expect(verifyUnsubscribeToken(token, secret, now + 367 * day)).toEqual({ ok: false, reason: 'expired' });
  });

  it('offers a one-click POST to the API’s public origin (RFC 8058)', () => {
    const headers = unsubscribeHeaders({ baseUrl: 'https://sync.example.com', secret }, claims, now);
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const url = /^<(https:\/\/sync\.example\.com\/v1\/unsubscribe\/[^>]+)>$/.exec(
      headers['List-Unsubscribe']!,
    )?.[1];
    expect(url).toBeDefined();
    const token = decodeURIComponent(new URL(url!).pathname.split('/').pop()!);
    expect(verifyUnsubscribeToken(token, secret, now)).toEqual({ ok: true, claims });
  });
});
