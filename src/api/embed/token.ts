import { createHmac } from 'node:crypto';
import { signState, verifyState } from '../../security/signed-state';

/**
 * The short-lived token that authorises one embedded QuickBooks panel: signed and expiring like the OAuth `state`
 * (src/security/signed-state.ts), and bound to one account, one connection and one contact. The API mints it for a
 * CRM that has authenticated with its key; the iframe URL carries it, so it is kept short-lived.
 */
export interface EmbedClaims {
  accountId: string;
  connectionId: string;
  crmContactId: string;
  /** Expiry, epoch milliseconds. */
  exp: number;
}

export const maxEmbedTokenTtlSeconds = 3600;

export type EmbedTokenCheck =
  { ok: true; claims: EmbedClaims } | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

export function assertEmbedSecret(secret: string): void {
  if (secret.length < 16) throw new RangeError('the embed token secret must have at least 16 characters');
}

/**
 * A key of its own, derived from the shared secret: a token signed for the panel can never pass as an OAuth
 * `state`, nor the other way round, even when one secret serves both.
 */
function embedKey(secret: string): string {
  assertEmbedSecret(secret);
  return createHmac('sha256', secret).update('qbo-sync/embed-panel-token/v1').digest('base64url');
}

export function mintEmbedToken(
  request: { accountId: string; connectionId: string; crmContactId: string; ttlSeconds: number },
  secret: string,
  now: number = Date.now(),
): { token: string; expiresAt: Date } {
  const { ttlSeconds, accountId, connectionId, crmContactId } = request;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > maxEmbedTokenTtlSeconds)
    throw new RangeError(`ttlSeconds must be an integer from 1 to ${maxEmbedTokenTtlSeconds}`);
  const ttlMs = ttlSeconds * 1000;
  const token = signState(embedKey(secret), { accountId, connectionId, crmContactId }, ttlMs, now);
  return { token, expiresAt: new Date(now + ttlMs) };
}

export function verifyEmbedToken(token: string, secret: string, now: number = Date.now()): EmbedTokenCheck {
  const check = verifyState(embedKey(secret), token, now);
  if (!check.ok) return check;
  const { accountId, connectionId, crmContactId, exp } = check.payload;
  if (typeof connectionId !== 'string' || typeof crmContactId !== 'string')
    return { ok: false, reason: 'malformed' };
  return { ok: true, claims: { accountId, connectionId, crmContactId, exp } };
}

/** The panel's path for a contact, as the CRM puts it in an iframe (relative to the API's origin). */
export function embedPanelPath(crmContactId: string, token: string): string {
  return `/embed/contacts/${encodeURIComponent(crmContactId)}/quickbooks?token=${encodeURIComponent(token)}`;
}
