import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { Schema, type Connection, type Model } from 'mongoose';
import { apiKeyModel } from '../accounts/models';
import { ApiProblem } from './http/problem';
import type { AuthContext } from './http/route';

/**
 * Sessions of the console: an API key is exchanged once for a random token in an httpOnly, SameSite=Strict cookie,
 * so no script, URL or storage ever holds the key. Only the token's SHA-256 is stored. A session ends when it has
 * been idle for `idleMinutes`, `maxHours` after sign-in, when its key is revoked, or on sign-out.
 *
 * Cross-site requests cannot use it: the cookie is SameSite=Strict, a request whose `Origin` (or `Sec-Fetch-Site`)
 * names another site is refused, and every state-changing request must echo the session's CSRF token in
 * `X-CSRF-Token`, which only a page of our own origin can read (from `GET /v1/sessions/current`).
 */
export const sessionCookieName = 'qbs_session';
export const csrfHeader = 'X-CSRF-Token';
export const sessionLimits = { idleMinutes: 30, maxHours: 12 } as const;

export interface SessionRecord {
  /** SHA-256 (hex) of the cookie's token. */
  _id: string;
  accountId: string;
  /** The API key signed in with: its revocation ends the session, and rate limits count against it. */
  keyId: string;
  csrfToken: string;
  createdAt: Date;
  /** Idle expiry: moved forward as the session is used, never past `createdAt` + `maxHours`. */
  expiresAt: Date;
}

const sessionSchema = new Schema<SessionRecord>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    keyId: { type: String, required: true },
    csrfToken: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'console_sessions', versionKey: false },
);
// Expired sessions are refused by the code; the TTL index only clears them away.
sessionSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

export function sessionModel(db: Connection): Model<SessionRecord> {
  return (
    (db.models.ConsoleSession as Model<SessionRecord> | undefined) ??
    db.model('ConsoleSession', sessionSchema)
  );
}

const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
const idleMs = sessionLimits.idleMinutes * 60_000;
const maxMs = sessionLimits.maxHours * 3_600_000;

function idleExpiry(createdAt: Date, now: Date): Date {
  return new Date(Math.min(now.getTime() + idleMs, createdAt.getTime() + maxMs));
}

export interface OpenedSession {
  /** The cookie's value: shown to the browser once, never stored. */
  token: string;
  record: SessionRecord;
}

export async function openSession(db: Connection, auth: AuthContext, now: Date): Promise<OpenedSession> {
  const token = randomBytes(32).toString('base64url');
  const record: SessionRecord = {
    _id: hashToken(token),
    accountId: auth.accountId,
    keyId: auth.keyId,
    csrfToken: randomBytes(32).toString('base64url'),
    createdAt: now,
    expiresAt: idleExpiry(now, now),
  };
  await sessionModel(db).create(record);
  return { token, record };
}

export async function closeSession(db: Connection, sessionId: string): Promise<void> {
  await sessionModel(db).deleteOne({ _id: sessionId });
}

/** The session token in the request's cookies, if any. */
export function sessionToken(req: Request): string | undefined {
  for (const pair of (req.get('cookie') ?? '').split(';')) {
    const [name, value] = pair.trim().split('=', 2);
    if (name === sessionCookieName && value) return value;
  }
  return undefined;
}

/**
 * Authenticates a cookie-carrying request: a live session of a key not revoked, a request from our own origin, and
 * for anything but a read, the session's CSRF token. Slides the idle expiry at most once a minute.
 */
export async function authenticateSession(
  db: Connection,
  req: Request,
  token: string,
  now: Date,
): Promise<AuthContext> {
  assertSameOrigin(req);
  const sessions = sessionModel(db);
  const session = await sessions.findById(hashToken(token)).lean();
  const expired = !session || session.expiresAt.getTime() <= now.getTime();
  const key = expired ? null : await apiKeyModel(db).findById(session.keyId, { revokedAt: 1 }).lean();
  if (!session || expired || !key || key.revokedAt)
    throw new ApiProblem(
      401,
      'invalid_session',
      'the session has ended or was never valid; sign in again',
      'cookie.qbs_session',
    );
  if (!['GET', 'HEAD'].includes(req.method) && !sameSecret(req.get(csrfHeader), session.csrfToken))
    throw new ApiProblem(
      403,
      'csrf_rejected',
      `send the session's CSRF token (from GET /v1/sessions/current) in ${csrfHeader}`,
      `header.${csrfHeader}`,
    );
  const slid = idleExpiry(session.createdAt, now);
  if (slid.getTime() - session.expiresAt.getTime() > 60_000)
    await sessions.updateOne({ _id: session._id }, { $set: { expiresAt: slid } });
  return {
    accountId: session.accountId,
    keyId: session.keyId,
    session: { id: session._id, csrfToken: session.csrfToken, expiresAt: slid },
  };
}

/**
 * Refuses a request that a browser says comes from another site. Browsers send `Origin` on every cross-origin
 * request and on same-origin writes, and `Sec-Fetch-Site` on all requests; a client that is not a browser sends
 * neither, and cannot hold a victim's cookie anyway.
 */
export function assertSameOrigin(req: Request): void {
  const origin = req.get('origin');
  const site = req.get('sec-fetch-site');
  let foreign = site !== undefined && site !== 'same-origin' && site !== 'none';
  if (origin !== undefined) {
    try {
      foreign ||= new URL(origin).host !== req.get('host');
    } catch {
      foreign = true;
    }
  }
  if (foreign)
    throw new ApiProblem(
      403,
      'csrf_rejected',
      'a session may only be used by pages of this origin',
      'header.Origin',
    );
}

function sameSecret(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * The Set-Cookie value for a session, or for clearing it. `Secure` is left out only for plain HTTP to a loopback
 * address (a developer's machine), where no network carries the cookie; anywhere else a browser will not send it
 * without TLS.
 */
export function sessionCookie(req: Request, value: { token: string; createdAt: Date } | null): string {
  const plainLoopback = req.protocol === 'http' && loopbackHosts.has(req.hostname);
  return [
    `${sessionCookieName}=${value?.token ?? ''}`,
    'Path=/v1',
    'HttpOnly',
    'SameSite=Strict',
    ...(plainLoopback ? [] : ['Secure']),
    // The browser keeps it until the session's hard limit; the idle limit is the server's to enforce.
    value ? `Expires=${new Date(value.createdAt.getTime() + maxMs).toUTCString()}` : 'Max-Age=0',
  ].join('; ');
}
