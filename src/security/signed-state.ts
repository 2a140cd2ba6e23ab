import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The OAuth `state` parameter: a signed, expiring statement of who started a connect flow. intuit-oauth does not
 * check `state`, so we do: the callback accepts only a state we signed, unexpired, for the account it names.
 */
export interface StatePayload {
  accountId: string;
  /** Unique per flow, so a state can be used once (the caller records used nonces). */
  nonce: string;
  /** Expiry, epoch milliseconds. */
  exp: number;
  [extra: string]: string | number;
}

export type StateCheck =
  { ok: true; payload: StatePayload } | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

export function signState(
  secret: string,
  fields: { accountId: string } & Record<string, string | number>,
  ttlMs: number,
  now: number,
): string {
  const payload: StatePayload = { ...fields, nonce: randomBytes(12).toString('base64url'), exp: now + ttlMs };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(secret, body)}`;
}

export function verifyState(secret: string, state: string, now: number): StateCheck {
  const [body, signature, extra] = state.split('.');
  if (!body || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(mac(secret, body));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad-signature' };
  let payload: StatePayload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as StatePayload;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (
    typeof payload.exp !== 'number' ||
    typeof payload.accountId !== 'string' ||
    typeof payload.nonce !== 'string'
  ) {
    return { ok: false, reason: 'malformed' };
  }
  if (payload.exp <= now) return { ok: false, reason: 'expired' };
  return { ok: true, payload };
}

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}
