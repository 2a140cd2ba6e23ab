import { randomBytes } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { renderAuthorizePage, renderErrorPage, type CompanyChoice } from './authorize-page';
import { KNOWN_SCOPES, parseBasicAuth, type OAuthClientApp } from './clients';
import { INTUIT_ISSUER } from './id-token';
import type { GrantResult, TokenAuthority } from './token-authority';

export interface OAuthRouterOptions {
  authority: TokenAuthority;
  /** Evaluated per request. */
  companies: () => CompanyChoice[];
  /** Absolute base for discovery; else derived from the request. */
  baseUrl?: string;
}

/** Paths as on Intuit's hosts (see intuit-oauth's endpoint constants), relative to where the router is mounted. */
export const oauthPaths = {
  authorize: '/connect/oauth2',
  token: '/oauth2/v1/tokens/bearer',
  revoke: '/v2/oauth2/tokens/revoke',
  userinfo: '/v1/openid_connect/userinfo',
  jwks: '/op/v1/jwks',
  discovery: '/.well-known/openid_configuration',
  sandboxDiscovery: '/.well-known/openid_sandbox_configuration',
} as const;

// Duplicated or missing parameters both read as "absent"; each endpoint then answers per RFC 6749.
const param = z.string().optional().catch(undefined);
const authorizeParams = z.object({
  client_id: param,
  redirect_uri: param,
  response_type: param,
  scope: param,
  state: param,
  realmId: param,
  action: param,
});
const tokenParams = z.object({
  grant_type: param,
  code: param,
  redirect_uri: param,
  refresh_token: param,
  client_id: param,
  client_secret: param,
});
const revokeParams = z.object({ token: param, client_id: param, client_secret: param });

/** Intuit stamps every response with a transaction id; intuit-oauth surfaces it as `intuit_tid`. */
const intuitTid: RequestHandler = (_req, res, next) => {
  res.set('intuit_tid', `1-${randomBytes(4).toString('hex')}-${randomBytes(12).toString('hex')}`);
  next();
};

/** Body parsers scoped to one route, answering `invalid_request` instead of express's HTML error page. */
function parseBody(parser: RequestHandler): RequestHandler {
  return (req, res, next) => {
    void parser(req, res, (error?: unknown) => {
      if (error) oauthError(res, 400, 'invalid_request', 'Malformed request body');
      else next();
    });
  };
}
const formBody = parseBody(express.urlencoded({ extended: false, limit: '16kb' }));
const jsonBody = parseBody(express.json({ limit: '16kb' }));

function oauthError(res: Response, status: number, error: string, description?: string): void {
  res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache');
  if (status === 401) res.set('WWW-Authenticate', 'Basic realm="Intuit"');
  res.status(status).json(description === undefined ? { error } : { error, error_description: description });
}

function htmlPage(res: Response, status: number, html: string): void {
  res
    .status(status)
    .type('html')
    .set('Cache-Control', 'no-store')
    .set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'")
    .send(html);
}

function redirectWith(res: Response, redirectUri: string, params: Record<string, string | undefined>): void {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params))
    if (value !== undefined) url.searchParams.set(key, value);
  res.redirect(302, url.toString());
}

/** Client authentication: HTTP Basic (what intuit-oauth sends), or client_secret_post as Intuit also allows. */
function authenticateClient(
  authority: TokenAuthority,
  req: Request,
  body: { client_id?: string | undefined; client_secret?: string | undefined },
): OAuthClientApp | undefined {
  const header = req.get('authorization');
  const credentials =
    header !== undefined
      ? parseBasicAuth(header)
      : body.client_id !== undefined && body.client_secret !== undefined
        ? { clientId: body.client_id, clientSecret: body.client_secret }
        : null;
  return credentials
    ? authority.authenticateClient(credentials.clientId, credentials.clientSecret)
    : undefined;
}

export function createOAuthRouter(options: OAuthRouterOptions): express.Router {
  const { authority } = options;
  const router = express.Router();

  const baseUrl = (req: Request): string =>
    options.baseUrl?.replace(/\/+$/, '') ??
    `${req.protocol}://${req.get('host') ?? '127.0.0.1'}${req.baseUrl}`;

  /**
   * Shared checks of GET and POST authorize. Per RFC 6749 section 4.1.2.1 a bad client_id or redirect_uri gets an
   * error page (never a redirect); later errors go back to the app. Returns undefined once it has answered.
   */
  function checkAuthorize(
    params: z.infer<typeof authorizeParams>,
    res: Response,
    checkResponseType: boolean,
  ): { clientId: string; redirectUri: string; scopes: string[]; state: string | undefined } | undefined {
    const { client_id: clientId, redirect_uri: redirectUri, state } = params;
    if (!clientId || !authority.findApp(clientId)) {
      htmlPage(
        res,
        400,
        renderErrorPage('The client_id is missing or not a registered app (invalid_client).'),
      );
      return undefined;
    }
    if (!redirectUri || !authority.redirectUriAllowed(clientId, redirectUri)) {
      htmlPage(res, 400, renderErrorPage('The redirect_uri is missing or not registered for this app.'));
      return undefined;
    }
    if (checkResponseType && params.response_type !== 'code') {
      const error = params.response_type === undefined ? 'invalid_request' : 'unsupported_response_type';
      redirectWith(res, redirectUri, { error, state });
      return undefined;
    }
    const scopes = (params.scope ?? '').split(' ').filter((scope) => scope !== '');
    if (scopes.length === 0 || scopes.some((scope) => !KNOWN_SCOPES.includes(scope))) {
      redirectWith(res, redirectUri, { error: 'invalid_scope', state });
      return undefined;
    }
    return { clientId, redirectUri, scopes, state };
  }

  router.get(oauthPaths.authorize, intuitTid, (req, res) => {
    const request = checkAuthorize(authorizeParams.parse(req.query), res, true);
    if (!request) return;
    const page = renderAuthorizePage({
      ...request,
      action: `${req.baseUrl}${oauthPaths.authorize}`,
      companies: options.companies(),
    });
    htmlPage(res, 200, page);
  });

  router.post(oauthPaths.authorize, intuitTid, formBody, (req, res) => {
    const params = authorizeParams.parse(req.body ?? {});
    const request = checkAuthorize(params, res, false);
    if (!request) return;
    if (params.action === 'deny') {
      redirectWith(res, request.redirectUri, { error: 'access_denied', state: request.state });
      return;
    }
    const company = options.companies().find((choice) => choice.realmId === params.realmId);
    if (params.action !== 'approve' || !company) {
      htmlPage(res, 400, renderErrorPage('Choose one of the listed companies, then Approve or Deny.'));
      return;
    }
    const code = authority.createAuthorizationCode({ ...request, realmId: company.realmId });
    redirectWith(res, request.redirectUri, { code, state: request.state, realmId: company.realmId });
  });

  router.post(oauthPaths.token, intuitTid, formBody, (req, res) => {
    const body = tokenParams.parse(req.body ?? {});
    const app = authenticateClient(authority, req, body);
    if (!app) return oauthError(res, 401, 'invalid_client');
    if (!req.is('application/x-www-form-urlencoded')) {
      return oauthError(
        res,
        400,
        'invalid_request',
        'Content-Type must be application/x-www-form-urlencoded',
      );
    }
    const tokenOptions = {
      includeHardExpiresIn: req.get('x-include-refresh-token-hard-expires-in')?.toLowerCase() === 'true',
    };
    let result: GrantResult;
    if (body.grant_type === 'authorization_code') {
      if (!body.code || !body.redirect_uri) {
        return oauthError(res, 400, 'invalid_request', 'code and redirect_uri are required');
      }
      result = authority.exchangeCode(
        { clientId: app.clientId, code: body.code, redirectUri: body.redirect_uri },
        tokenOptions,
      );
    } else if (body.grant_type === 'refresh_token') {
      if (!body.refresh_token) return oauthError(res, 400, 'invalid_request', 'refresh_token is required');
      result = authority.refresh({ clientId: app.clientId, refreshToken: body.refresh_token }, tokenOptions);
    } else if (body.grant_type === undefined) {
      return oauthError(res, 400, 'invalid_request', 'grant_type is required');
    } else {
      return oauthError(res, 400, 'unsupported_grant_type');
    }
    if (!result.ok) return oauthError(res, 400, result.error, result.description);
    res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache').json(result.tokens);
  });

  // intuit-oauth sends JSON; RFC 7009 clients send a form. Both are accepted.
  router.post(oauthPaths.revoke, intuitTid, jsonBody, formBody, (req, res) => {
    const body = revokeParams.parse(req.body ?? {});
    const app = authenticateClient(authority, req, body);
    if (!app) return oauthError(res, 401, 'invalid_client');
    if (!body.token) return oauthError(res, 400, 'invalid_request', 'token is required');
    authority.revoke(app.clientId, body.token); // unknown tokens are fine too (RFC 7009 section 2.2)
    res.set('Cache-Control', 'no-store').status(200).end();
  });

  router.get(oauthPaths.userinfo, intuitTid, (req, res) => {
    const auth = authority.authenticate(req.get('authorization'));
    if (!auth.ok || !auth.scopes.includes('openid')) {
      res
        .set('WWW-Authenticate', 'Bearer error="invalid_token"')
        .status(401)
        .json({ error: 'invalid_token' });
      return;
    }
    // Claims follow the granted scopes, as in OpenID Connect; Intuit spells them in camelCase.
    const { user } = authority;
    res.json({
      sub: user.sub,
      ...(auth.scopes.includes('email') ? { email: user.email, emailVerified: true } : {}),
      ...(auth.scopes.includes('profile') ? { givenName: user.givenName, familyName: user.familyName } : {}),
    });
  });

  router.get(oauthPaths.jwks, intuitTid, (_req, res) => {
    res.json(authority.jwks());
  });

  router.get([oauthPaths.discovery, oauthPaths.sandboxDiscovery], intuitTid, (req, res) => {
    const base = baseUrl(req);
    res.json({
      issuer: INTUIT_ISSUER,
      authorization_endpoint: `${base}${oauthPaths.authorize}`,
      token_endpoint: `${base}${oauthPaths.token}`,
      userinfo_endpoint: `${base}${oauthPaths.userinfo}`,
      revocation_endpoint: `${base}${oauthPaths.revoke}`,
      jwks_uri: `${base}${oauthPaths.jwks}`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid', 'email', 'profile', 'address', 'phone'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      claims_supported: ['aud', 'exp', 'iat', 'iss', 'realmid', 'sub'],
    });
  });

  return router;
}
