import { createHmac } from 'node:crypto';

/** Intuit's `intuit-signature`: base64(HMAC-SHA256(raw body, verifier token)). */
export function signPayload(body: string, verifierToken: string): string {
  return createHmac('sha256', verifierToken).update(body, 'utf8').digest('base64');
}
