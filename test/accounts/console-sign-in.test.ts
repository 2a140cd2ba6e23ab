import { createAccount, issueApiKey } from '../../src/accounts/keys';
import {
  issueConsoleSignInLink,
  maxSignInTtlSeconds,
  redeemConsoleSignInToken,
} from '../../src/accounts/console-sign-in';
import { openTestDatabase, type TestDatabase } from '../support/env';
import { withLastCharacterChanged } from '../support/forgery';

describe('one-time console sign-in links', () => {
  let db: TestDatabase;
  let accountId: string;
  let keyId: string;
  // Now, not a fixed date: the tokens expire by TTL, and the server would remove ones issued in the past.
  const at = new Date();
  const later = (seconds: number) => new Date(at.getTime() + seconds * 1000);

  beforeAll(async () => {
    db = await openTestDatabase('signin');
    accountId = (await createAccount(db.mongoose.connection, 'Console CRM'))._id;
    keyId = (await issueApiKey(db.mongoose.connection, accountId, 'console')).id;
  });
  afterAll(() => db?.close());

  const issue = (ttlSeconds?: number) =>
    issueConsoleSignInLink(
      db.mongoose.connection,
      { accountId, baseUrl: 'http://127.0.0.1:3000', ...(ttlSeconds === undefined ? {} : { ttlSeconds }) },
      at,
    );

  it('issues a link to /console with the token in its fragment, stored only as a hash', async () => {
    const link = await issue();
    expect(link.url).toBe(`http://127.0.0.1:3000/console#signInToken=${link.token}`);
    expect(link.token).toMatch(/^qcs_[A-Za-z0-9_-]{43}$/);
    expect(link.expiresAt).toEqual(later(15 * 60));
    const stored = await db.mongoose.connection.collection('console_sign_in_tokens').find().toArray();
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(link.token.slice(4));
  });

  it('opens the account once, and refuses the same token a second time', async () => {
    const link = await issue();
    const conn = db.mongoose.connection;
    expect(await redeemConsoleSignInToken(conn, link.token, later(60))).toEqual({
      ok: true,
      accountId,
      keyId,
    });
    expect(await redeemConsoleSignInToken(conn, link.token, later(61))).toEqual({
      ok: false,
      reason: 'used',
    });
  });

  it('lets exactly one of several concurrent redemptions win', async () => {
    const link = await issue();
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => redeemConsoleSignInToken(db.mongoose.connection, link.token, later(1))),
    );
    expect(outcomes.filter((outcome) => outcome.ok)).toEqual([{ ok: true, accountId, keyId }]);
    expect(outcomes.filter((outcome) => !outcome.ok)).toHaveLength(7);
  });

  it('refuses an expired token, and one it never issued', async () => {
    const link = await issue(60);
    const conn = db.mongoose.connection;
    expect(await redeemConsoleSignInToken(conn, link.token, later(60))).toEqual({
      ok: false,
      reason: 'expired',
    });
    // Expiry is checked before the claim: the expired token was not used up by the attempt.
    expect(await redeemConsoleSignInToken(conn, link.token, later(59))).toEqual({
      ok: true,
      accountId,
      keyId,
    });
    const forged = withLastCharacterChanged(link.token);
    expect(await redeemConsoleSignInToken(conn, forged, later(1))).toEqual({ ok: false, reason: 'unknown' });
    expect(await redeemConsoleSignInToken(conn, 'nonsense', later(1))).toEqual({
      ok: false,
      reason: 'unknown',
    });
  });

  it('refuses an unknown account and a lifetime out of range', async () => {
    const conn = db.mongoose.connection;
    await expect(
      issueConsoleSignInLink(conn, { accountId: 'acct_missing', baseUrl: 'http://127.0.0.1:3000' }),
    ).rejects.toThrow('no account acct_missing');
    await expect(issue(maxSignInTtlSeconds + 1)).rejects.toThrow(RangeError);
    await expect(issue(0)).rejects.toThrow(RangeError);
  });
});
