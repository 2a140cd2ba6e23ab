import { createHash, randomBytes } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { claimOnce } from '../db/leases';
import { accountModel } from './models';

/**
 * One-time links that sign a person into the admin console as an account, printed by `npm start`'s demo and by
 * `npm run ops -- console link`. The link carries a random token in its fragment (`/console#signInToken=…`), so it
 * never reaches a server log or a Referer; the console posts it to `POST /v1/sessions` as `{ signInToken }`, and the
 * session is made from `redeemConsoleSignInToken`. Only a SHA-256 of the token is stored (it is 256-bit random), with
 * its expiry; redeeming claims it, so it works once.
 */
export interface ConsoleSignInLink {
  url: string;
  /** The token alone, for a client that builds its own URL. */
  token: string;
  expiresAt: Date;
}

export type ConsoleSignIn =
  { ok: true; accountId: string } | { ok: false; reason: 'unknown' | 'expired' | 'used' };

interface SignInTokenRecord {
  /** SHA-256 of the token, hex. */
  _id: string;
  accountId: string;
  expiresAt: Date;
  createdAt: Date;
}

export const defaultSignInTtlSeconds = 15 * 60;
/** Long enough to open a link printed at start-up; a day at most, since whoever holds it is the account. */
export const maxSignInTtlSeconds = 24 * 60 * 60;

const tokenPrefix = 'qcs_';

const signInTokenSchema = new Schema<SignInTokenRecord>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    expiresAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'console_sign_in_tokens', versionKey: false },
);

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
  request: { accountId: string; baseUrl: string; ttlSeconds?: number },
  now = new Date(),
): Promise<ConsoleSignInLink> {
  const { accountId, baseUrl, ttlSeconds = defaultSignInTtlSeconds } = request;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > maxSignInTtlSeconds)
    throw new RangeError(`ttlSeconds must be an integer from 1 to ${maxSignInTtlSeconds}`);
  if (!(await accountModel(db).exists({ _id: accountId }))) throw new Error(`no account ${accountId}`);
  const token = `${tokenPrefix}${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  await signInTokenModel(db).create({ _id: hashToken(token), accountId, expiresAt, createdAt: now });
  return { url: consoleSignInUrl(baseUrl, token), token, expiresAt };
}

/** The account a sign-in token opens, once: a second redemption, even a concurrent one, is `used`. */
export async function redeemConsoleSignInToken(
  db: Connection,
  token: string,
  now = new Date(),
): Promise<ConsoleSignIn> {
  if (!token.startsWith(tokenPrefix)) return { ok: false, reason: 'unknown' };
  const hash = hashToken(token);
  const record = await signInTokenModel(db).findById(hash).lean();
  if (!record) return { ok: false, reason: 'unknown' };
  if (record.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  if (!(await claimOnce(db, `console-sign-in:${hash}`, record.accountId, record.expiresAt)))
    return { ok: false, reason: 'used' };
  return { ok: true, accountId: record.accountId };
}
