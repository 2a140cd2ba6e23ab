import { randomBytes } from 'node:crypto';
import { KeyRing } from '../../../src/security/encryption';
import { signState, verifyState } from '../../../src/security/signed-state';

const key = (): Buffer => randomBytes(32);

describe('secrets at rest (AES-256-GCM)', () => {
  it('round-trips, with a fresh IV every time', () => {
    const ring = new KeyRing([{ version: 'v1', key: key() }]);
    const a = ring.seal('refresh-token-secret', 'connection:1');
    const b = ring.seal('refresh-token-secret', 'connection:1');
    expect(a.iv).not.toBe(b.iv);
    expect(a.data).not.toContain('refresh');
    expect(ring.open(a, 'connection:1')).toBe('refresh-token-secret');
  });

  it('refuses ciphertext moved to another record, or altered', () => {
    const ring = new KeyRing([{ version: 'v1', key: key() }]);
    const sealed = ring.seal('token', 'connection:1');
    expect(() => ring.open(sealed, 'connection:2')).toThrow();
    const flipped = Buffer.from(sealed.data, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => ring.open({ ...sealed, data: flipped.toString('base64') }, 'connection:1')).toThrow();
  });

  it('rotates keys: old values still open and are flagged for re-sealing', () => {
    const oldKey = key();
    const before = new KeyRing([{ version: 'v1', key: oldKey }]);
    const sealed = before.seal('token', 'c');
    const after = new KeyRing([
      { version: 'v2', key: key() },
      { version: 'v1', key: oldKey },
    ]);
    expect(after.open(sealed, 'c')).toBe('token');
    expect(after.isStale(sealed)).toBe(true);
    expect(after.isStale(after.seal('token', 'c'))).toBe(false);
    expect(() => new KeyRing([{ version: 'v3', key: key() }]).open(sealed, 'c')).toThrow(
      /no encryption key with version v1/,
    );
  });

  it('parses the TOKEN_ENCRYPTION_KEYS format and rejects wrong key sizes', () => {
    const spec = `v2:${key().toString('base64')}, v1:${key().toString('base64')}`;
    expect(KeyRing.parse(spec).activeVersion).toBe('v2');
    expect(() => KeyRing.parse(`v1:${randomBytes(16).toString('base64')}`)).toThrow(/32 bytes/);
    expect(() => KeyRing.parse('nonsense')).toThrow(/<version>:<base64/);
  });
});

describe('signed OAuth state', () => {
  const secret = 'state-secret';
  const now = 1_700_000_000_000;

  it('verifies its own state before expiry, with the account it names', () => {
    const state = signState(secret, { accountId: 'acct_1' }, 600_000, now);
    const check = verifyState(secret, state, now + 1000);
    expect(check).toMatchObject({ ok: true, payload: { accountId: 'acct_1' } });
  });

  it('rejects expired, tampered, foreign and malformed states', () => {
    const state = signState(secret, { accountId: 'acct_1' }, 600_000, now);
    expect(verifyState(secret, state, now + 600_001)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyState('other-secret', state, now)).toEqual({ ok: false, reason: 'bad-signature' });
    const [body, signature] = state.split('.');
    const forged = Buffer.from(JSON.stringify({ accountId: 'acct_2', nonce: 'x', exp: now + 1e6 })).toString(
      'base64url',
    );
    expect(verifyState(secret, `${forged}.${signature}`, now)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyState(secret, `${body}`, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyState(secret, `${body}.${signature}.x`, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyState(secret, `${body}.short`, now)).toEqual({ ok: false, reason: 'bad-signature' });
  });
});
