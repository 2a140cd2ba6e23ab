import { createHash, randomBytes } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { expiresAtIndex } from '../db/retention';
import { accountModel, apiKeyModel } from './models';

/**
 * One-time links that sign a person into the admin console as an account, printed by `npm start`'s demo and by
 * `npm run ops -- console link`. The link carries a random token in its fragment (`/console#signInToken=…`), so it
 * never reaches a server log or a Referer; the console posts it to `POST /v1/sessions` as `{ signInToken }`, and the
 * session is made from `redeemConsoleSignInToken`. Only a SHA-256 of the token is stored (it is 256-bit random), with
 * its expiry; redeeming marks it used in one conditional update, so it works once. A link stands for one of the
 * account's API keys, and the session it opens ends when that key is revoked.
 */
export interface ConsoleSignInLink {
  url: string;
  /** The token alone, for a client that builds its own URL. */
  token: string;
  expiresAt: Date;
}

export type ConsoleSignIn =
  { ok: true; accountId: string; keyId: string } | { ok: false; reason: 'unknown' | 'expired' | 'used' };

interface SignInTokenRecord {
  /** SHA-256 of the token, hex. */
  _id: string;
  accountId: string;
  /** The API key the session stands for. */
  keyId: string;
  expiresAt: Date;
  createdAt: Date;
  usedAt?: Date;
}

export const defaultSignInTtlSeconds = 15 * 60;
/** Long enough to open a link printed at start-up; a day at most, since whoever holds it is the account. */
export const maxSignInTtlSeconds = 24 * 60 * 60;

const tokenPrefix = 'qcs_';

const signInTokenSchema = new Schema<SignInTokenRecord>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    keyId: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
    usedAt: Date,
  },
  { collection: 'console_sign_in_tokens', versionKey: false },
);
expiresAtIndex(signInTokenSchema);

function signInTokenModel(db: Connection): Model<SignInTokenRecord> {
  return (
    (db.models.ConsoleSignInToken as Model<SignInTokenRecord> | undefined) ??
    db.model('ConsoleSignInToken', signInTokenSchema)
  );
}

const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The console's sign-in address for a token, under `baseUrl` (the API's public origin). */
export function consoleSignInUrl(baseUrl: string, token: string): string {
  const url = new URL('/console', baseUrl);
  url.hash = new URLSearchParams({ signInToken: token }).toString();
  return url.toString();
}

export async function issueConsoleSignInLink(
  db: Connection,
  request: { accountId: string; baseUrl: string; ttlSeconds?: number; keyId?: string },
  now = new Date(),
): Promise<ConsoleSignInLink> {
  const { accountId, baseUrl, ttlSeconds = defaultSignInTtlSeconds } = request;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > maxSignInTtlSeconds)
    throw new RangeError(`ttlSeconds must be an integer from 1 to ${maxSignInTtlSeconds}`);
  if (!(await accountModel(db).exists({ _id: accountId }))) throw new Error(`no account ${accountId}`);
  // The named key, else the account's newest live one.
  const key = await apiKeyModel(db)
    .findOne(
      { accountId, revokedAt: { $exists: false }, ...(request.keyId ? { _id: request.keyId } : {}) },
      { _id: 1 },
    )
    .sort({ createdAt: -1 })
    .lean();
  if (!key)
    throw new Error(
      request.keyId
        ? `no live API key ${request.keyId} of account ${accountId}`
        : `account ${accountId} has no live API key: create one first (npm run ops -- keys create ${accountId})`,
    );
  const token = `${tokenPrefix}${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  await signInTokenModel(db).create({
    _id: hashToken(token),
    accountId,
    keyId: key._id,
    expiresAt,
    createdAt: now,
  });
  return { url: consoleSignInUrl(baseUrl, token), token, expiresAt };
}

/** The account a sign-in token opens, once: a second redemption, even a concurrent one, is `used`. */
export async function redeemConsoleSignInToken(
  db: Connection,
  token: string,
  now = new Date(),
): Promise<ConsoleSignIn> {
  if (!token.startsWith(tokenPrefix)) return { ok: false, reason: 'unknown' };
  const _id = hashToken(token);
  const tokens = signInTokenModel(db);
  const redeemed = await tokens
    .findOneAndUpdate(
      { _id, usedAt: { $exists: false }, expiresAt: { $gt: now } },
      { $set: { usedAt: now } },
      { new: true },
    )
    .lean();
  if (redeemed) return { ok: true, accountId: redeemed.accountId, keyId: redeemed.keyId };
  const record = await tokens.findById(_id, { usedAt: 1 }).lean();
  if (!record) return { ok: false, reason: 'unknown' };
  return { ok: false, reason: record.usedAt ? 'used' : 'expired' };
}
