import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, Stripe-style: `QboSync-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
 * `${t}.${rawBody}`. The timestamp is signed too, so a captured request cannot be replayed outside the window.
 */
export const signatureHeader = 'QboSync-Signature';

const unixSeconds = (at: Date): number => Math.floor(at.getTime() / 1000);

function hmacHex(secret: string, timestamp: number, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** A new signing secret: `whsec_` and 32 random bytes, base64url. Shown to the account once, then sealed. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** The `QboSync-Signature` header value for exactly these body bytes. */
export function signPayload(secret: string, body: string | Uint8Array, now: Date): string {
  const timestamp = unixSeconds(now);
  return `t=${timestamp},v1=${hmacHex(secret, timestamp, body)}`;
}

/**
 * True when one of the header's `v1` values (several appear while a secret rotates) is the HMAC of the body, and
 * its timestamp lies within `toleranceSeconds` of `now`. A malformed header is simply not valid.
 */
export function verifySignature(
  secret: string,
  body: string | Uint8Array,
  header: string,
  now: Date,
  toleranceSeconds = 300,
): boolean {
  let timestamp: number | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value && /^\d+$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && value && /^[0-9a-f]{64}$/i.test(value))
      candidates.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || candidates.length === 0) return false;
  if (Math.abs(unixSeconds(now) - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex');
  // Compare every candidate, so timing does not reveal which one (if any) matched.
  return candidates.reduce((matched, candidate) => timingSafeEqual(candidate, expected) || matched, false);
}
