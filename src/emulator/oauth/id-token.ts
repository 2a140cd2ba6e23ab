import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * Intuit's issuer identifier. intuit-oauth's `validateIdToken()` compares `iss` with this exact string, so the
 * emulator keeps it rather than its own URL (an identifier, never fetched).
 */
export const INTUIT_ISSUER = 'https://oauth.platform.intuit.com/op/v1';

export interface Jwk {
  kty: string;
  n: string;
  e: string;
  kid: string;
  use: 'sig';
  alg: 'RS256';
}

const base64url = (input: Buffer | string): string => Buffer.from(input).toString('base64url');

/** Signs OpenID Connect id_tokens with RS256, under a key made on first use (keygen costs ~0.1 s). */
export class IdTokenSigner {
  private key: { privateKey: KeyObject; jwk: Jwk } | undefined;

  jwks(): { keys: Jwk[] } {
    return { keys: [this.keys().jwk] };
  }

  sign(claims: Record<string, unknown>): string {
    const { privateKey, jwk } = this.keys();
    const header = base64url(JSON.stringify({ alg: 'RS256', kid: jwk.kid, typ: 'JWT' }));
    const payload = base64url(JSON.stringify(claims));
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), privateKey);
    return `${header}.${payload}.${base64url(signature)}`;
  }

  private keys(): { privateKey: KeyObject; jwk: Jwk } {
    if (!this.key) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const { n, e, kty } = publicKey.export({ format: 'jwk' });
      if (!n || !e || !kty) throw new Error('RSA public key export lacks n/e');
      this.key = {
        privateKey,
        jwk: { kty, n, e, kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' },
      };
    }
    return this.key;
  }
}
