import { z } from 'zod';
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

/** Signing in to the console: an API key in, an httpOnly session cookie out (see ../sessions.ts). */
export function addSessionRoutes(routes: ApiRoutes, services: ApiServices): void {
  routes.add({
    method: 'post',
    path: '/v1/sessions',
    tag: 'Sessions',
    summary: 'Sign in to the console: exchange an API key for a session cookie',
    description:
      'Send the key in the body (or as `Authorization: Bearer`). The answer sets an httpOnly, SameSite=Strict ' +
      'cookie for `/v1`, which then authenticates same-origin requests; it ends after ' +
      `${sessionLimits.idleMinutes} idle minutes, ${sessionLimits.maxHours} hours, sign-out, or the key’s revocation.`,
    auth: 'none',
    body: z
      .object({ apiKey: z.string().min(1).max(200).optional().describe('An API key of the account.') })
      .strict(),
    problems: ['authentication_required', 'invalid_api_key', 'csrf_rejected'],
    responses: { 201: { description: 'Signed in; the cookie is set.', schema: sessionSchema } },
    handler: async ({ req, res, body }) => {
      // Signing a victim in to an attacker's account is a forgery too.
      assertSameOrigin(req);
      const bearer = /^bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1];
      const key = body.apiKey ?? bearer;
      if (!key)
        throw new ApiProblem(
          401,
          'authentication_required',
          'send the API key as `apiKey` in the body',
          'body.apiKey',
        );
      const db = await services.db();
      const auth = await authenticateKey(db, key, services.now());
      if (!auth)
        throw new ApiProblem(
          401,
          'invalid_api_key',
          'the API key is not valid',
          body.apiKey ? 'body.apiKey' : 'header.Authorization',
        );
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
