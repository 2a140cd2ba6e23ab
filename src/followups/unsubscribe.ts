import { createHmac } from 'node:crypto';
import type { Connection } from 'mongoose';
import { publicOrigin, type Config } from '../config';
import { isDuplicateKey } from '../db/errors';
import { signState, verifyState } from '../security/signed-state';
import { emailOptOutModel, optOutKey, type EmailOptOutRecord } from './models';

/**
 * Unsubscribing from reminder emails: every reminder carries a signed link (`List-Unsubscribe`, RFC 2369 and the
 * one-click POST of RFC 8058) naming the connection, the customer and the address written to. Following it stores
 * an opt-out for that customer of that connection, which the email channel honours from then on; the same link
 * undoes it (`…/resubscribe`), and the account may list and remove opt-outs.
 */
export interface UnsubscribeClaims {
  accountId: string;
  connectionId: string;
  qboCustomerId: string;
  email: string;
}

/** Where the links point and what signs them: the API's public origin, and a secret the API also holds. */
export interface UnsubscribeSettings {
  baseUrl: string;
  secret: string;
}

/** Links to the API's public origin, signed with the OAuth state secret (under a key derived for links alone). */
export function unsubscribeSettings(
  config: Pick<Config, 'QBO_REDIRECT_URI' | 'OAUTH_STATE_SECRET'>,
): UnsubscribeSettings {
  return { baseUrl: publicOrigin(config), secret: config.OAUTH_STATE_SECRET };
}

export type UnsubscribeTokenCheck =
  { ok: true; claims: UnsubscribeClaims } | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

/** Mail clients may offer the link long after the email arrived; a year covers any reminder still in an inbox. */
const unsubscribeTtlMs = 366 * 24 * 60 * 60 * 1000;

/** A key of its own, derived from the shared secret, so no other signed token passes as an unsubscribe link. */
function unsubscribeKey(secret: string): string {
  return createHmac('sha256', secret).update('qbo-sync/unsubscribe-link/v1').digest('base64url');
}

export function mintUnsubscribeToken(claims: UnsubscribeClaims, secret: string, now: number): string {
  const { accountId, connectionId, qboCustomerId, email } = claims;
  return signState(
    unsubscribeKey(secret),
    { accountId, connectionId, qboCustomerId, email },
    unsubscribeTtlMs,
    now,
  );
}

export function verifyUnsubscribeToken(token: string, secret: string, now: number): UnsubscribeTokenCheck {
  const check = verifyState(unsubscribeKey(secret), token, now);
  if (!check.ok) return check;
  const { accountId, connectionId, qboCustomerId, email } = check.payload;
  if (typeof connectionId !== 'string' || typeof qboCustomerId !== 'string' || typeof email !== 'string')
    return { ok: false, reason: 'malformed' };
  return { ok: true, claims: { accountId, connectionId, qboCustomerId, email } };
}

export const unsubscribePath = (token: string): string => `/v1/unsubscribe/${encodeURIComponent(token)}`;
export const resubscribePath = (token: string): string => `${unsubscribePath(token)}/resubscribe`;

/** The headers that let a mail client offer "unsubscribe" and do it with one POST (RFC 8058). */
export function unsubscribeHeaders(
  settings: UnsubscribeSettings,
  claims: UnsubscribeClaims,
  now: number,
): Record<string, string> {
  const url = new URL(unsubscribePath(mintUnsubscribeToken(claims, settings.secret, now)), settings.baseUrl);
  return {
    'List-Unsubscribe': `<${url.href}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}

/** Stores the opt-out once: a repeated unsubscribe keeps the first one's time and address. */
export async function recordOptOut(db: Connection, claims: UnsubscribeClaims, at: Date): Promise<void> {
  const { accountId, connectionId, qboCustomerId, email } = claims;
  try {
    await emailOptOutModel(db).updateOne(
      { _id: optOutKey(connectionId, qboCustomerId) },
      { $setOnInsert: { accountId, connectionId, qboCustomerId, address: email.toLowerCase(), at } },
      { upsert: true },
    );
  } catch (error) {
    // Two clicks at once: the other one stored it.
    if (!isDuplicateKey(error)) throw error;
  }
}

export async function hasOptedOut(
  db: Connection,
  connectionId: string,
  qboCustomerId: string,
): Promise<boolean> {
  return (await emailOptOutModel(db).exists({ _id: optOutKey(connectionId, qboCustomerId) })) !== null;
}

/** Takes an opt-out back (the customer resubscribed, or the account removed it); false when there was none. */
export async function removeOptOut(
  db: Connection,
  connectionId: string,
  qboCustomerId: string,
): Promise<boolean> {
  const removed = await emailOptOutModel(db).deleteOne({ _id: optOutKey(connectionId, qboCustomerId) });
  return removed.deletedCount === 1;
}

/** A connection's opt-outs by key, `limit` after the key `after`. */
export async function listOptOuts(
  db: Connection,
  connectionId: string,
  page: { limit: number; after?: string },
): Promise<EmailOptOutRecord[]> {
  return emailOptOutModel(db)
    .find({ connectionId, ...(page.after !== undefined && { _id: { $gt: page.after } }) })
    .sort({ _id: 1 })
    .limit(page.limit)
    .lean();
}
