import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Intuit signs each webhook delivery: `intuit-signature` is base64(HMAC-SHA256(raw body, verifier token)). The check
 * runs on the raw bytes before any parsing, compares in constant time, and treats any malformed header as a
 * mismatch rather than an error.
 */
export function verifyIntuitSignature(
  rawBody: Buffer,
  header: string | undefined,
  verifierToken: string,
): boolean {
  if (!header || !verifierToken) return false;
  const expected = createHmac('sha256', verifierToken).update(rawBody).digest();
  let given: Buffer;
  try {
    given = Buffer.from(header.trim(), 'base64');
  } catch {
    return false;
  }
  // timingSafeEqual throws on a length mismatch; a wrong length is simply a bad signature.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
