import { z } from 'zod';
import type { Connection } from 'mongoose';
import { redeemConsoleSignInToken } from '../../accounts/console-sign-in';
import { authenticateKey } from '../../accounts/keys';
import { ApiProblem } from '../http/problem';
import type { ApiRoutes, AuthContext } from '../http/route';
import type { ApiServices } from '../services';
import { assertSameOrigin, closeSession, openSession, sessionCookie, sessionLimits } from '../sessions';

const sessionSchema = z
  .object({
    accountId: z.string(),
    csrfToken: z.string().describe('Send it in `X-CSRF-Token` with every request other than GET.'),
    expiresAt: z.string().describe('When the session ends unless it is used again before then.'),
  })
  .meta({ id: 'Session' });

/** The session behind a request; a request made with an API key has none. */
function sessionOf(auth: AuthContext): NonNullable<AuthContext['session']> {
  if (!auth.session)
    throw new ApiProblem(404, 'not_found', 'this request was made with an API key, not a session');
  return auth.session;
}

async function signInWithKey(
  db: Connection,
  key: string | undefined,
  { field, now }: { field: string; now: Date },
): Promise<AuthContext> {
  if (!key)
    throw new ApiProblem(
      401,
      'authentication_required',
      'send the API key as `apiKey` in the body, or a console link’s `signInToken`',
      'body.apiKey',
    );
  const auth = await authenticateKey(db, key, now);
  if (!auth) throw new ApiProblem(401, 'invalid_api_key', 'the API key is not valid', field);
  return auth;
}

async function signInWithLink(db: Connection, token: string, now: Date): Promise<AuthContext> {
  const redeemed = await redeemConsoleSignInToken(db, token, now);
  if (!redeemed.ok)
    throw new ApiProblem(
      401,
      'invalid_sign_in_token',
      `the sign-in link is ${redeemed.reason === 'unknown' ? 'not one this service issued' : redeemed.reason}; ask for a new one (npm run ops -- console link)`,
      'body.signInToken',
    );
  return { accountId: redeemed.accountId, keyId: redeemed.keyId };
}

/** Signing in to the console: an API key or a one-time link in, an httpOnly session cookie out (see ../sessions.ts). */
export function addSessionRoutes(routes: ApiRoutes, services: ApiServices): void {
  routes.add({
    method: 'post',
    path: '/v1/sessions',
    tag: 'Sessions',
    summary: 'Sign in to the console: exchange an API key for a session cookie',
    description:
      'Send the key in the body (or as `Authorization: Bearer`), or the one-time `signInToken` of a console link ' +
      '(`npm start` and `npm run ops -- console link` print them). The answer sets an httpOnly, SameSite=Strict ' +
      'cookie for `/v1`, which then authenticates same-origin requests; it ends after ' +
      `${sessionLimits.idleMinutes} idle minutes, ${sessionLimits.maxHours} hours, sign-out, or the key’s revocation.`,
    auth: 'none',
    body: z
      .object({
        apiKey: z.string().min(1).max(200).optional().describe('An API key of the account.'),
        signInToken: z.string().min(1).max(200).optional().describe('The token of a one-time console link.'),
      })
      .strict(),
    problems: ['authentication_required', 'invalid_api_key', 'invalid_sign_in_token', 'csrf_rejected'],
    responses: { 201: { description: 'Signed in; the cookie is set.', schema: sessionSchema } },
    handler: async ({ req, res, body }) => {
      // Signing a victim in to an attacker's account is a forgery too.
      assertSameOrigin(req);
      const db = await services.db();
      const auth = body.signInToken
        ? await signInWithLink(db, body.signInToken, services.now())
        : await signInWithKey(db, body.apiKey ?? /^bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1], {
            field: body.apiKey ? 'body.apiKey' : 'header.Authorization',
            now: services.now(),
          });
      const { token, record } = await openSession(db, auth, services.now());
      res.setHeader('Set-Cookie', sessionCookie(req, { token, createdAt: record.createdAt }));
      res.setHeader('Cache-Control', 'no-store');
      return {
        status: 201,
        body: {
          accountId: record.accountId,
          csrfToken: record.csrfToken,
          expiresAt: record.expiresAt.toISOString(),
        },
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/v1/sessions/current',
    tag: 'Sessions',
    summary: 'The signed-in session: its account, CSRF token and expiry',
    responses: { 200: { description: 'The session.', schema: sessionSchema } },
    handler: ({ auth, res }) => {
      const session = sessionOf(auth);
      res.setHeader('Cache-Control', 'no-store');
      return Promise.resolve({
        status: 200,
        body: {
          accountId: auth.accountId,
          csrfToken: session.csrfToken,
          expiresAt: session.expiresAt.toISOString(),
        },
      });
    },
  });

  routes.add({
    method: 'delete',
    path: '/v1/sessions/current',
    tag: 'Sessions',
    summary: 'Sign out: end the session and clear its cookie',
    responses: { 204: { description: 'Signed out.' } },
    handler: async ({ auth, req, res }) => {
      await closeSession(await services.db(), sessionOf(auth).id);
      res.setHeader('Set-Cookie', sessionCookie(req, null));
      return { status: 204 };
    },
  });
}
