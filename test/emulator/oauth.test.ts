import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import OAuthClient from 'intuit-oauth';
import { ManualClock } from '../../src/emulator/clock';
import {
  createOAuthRouter,
  defaultOAuthApp,
  oauthPaths,
  TokenAuthority,
  type CompanyChoice,
  type OAuthRouterOptions,
  type TokenAuthorityOptions,
} from '../../src/emulator/oauth';

const ACCOUNTING = 'com.intuit.quickbooks.accounting';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Intuit reports 8726400 s: 101 days, though its docs say "100 days". */
const REFRESH_TTL_MS = 8_726_400_000;

const companies: CompanyChoice[] = [
  { realmId: '9341452000000001', companyName: `Craig's Design & <Landscaping> "Services"` },
  { realmId: '9341452000000002', companyName: 'Second Company' },
];

/** An app with one exact redirect URI, to check that non-default apps get no loopback leniency. */
const crmApp = {
  clientId: 'crm-client',
  clientSecret: 'crm-secret',
  redirectUris: ['https://crm.example.test/qbo/callback'],
};

interface Harness {
  base: string;
  clock: ManualClock;
  authority: TokenAuthority;
  callback: string;
}

const servers: Server[] = [];

async function start(
  options: Partial<TokenAuthorityOptions> & { clock?: ManualClock } = {},
  routerOptions: Partial<OAuthRouterOptions> = {},
): Promise<Harness> {
  const clock = options.clock ?? new ManualClock();
  const authority = new TokenAuthority({ ...options, clock });
  authority.registerApp(crmApp);
  const app = express();
  app.use(createOAuthRouter({ authority, companies: () => companies, ...routerOptions }));
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  servers.push(server);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, clock, authority, callback: `${base}/callback` };
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

function intuitClient(h: Harness, config: { clientSecret?: string; includeHardExpiry?: boolean } = {}) {
  const client = new OAuthClient({
    clientId: defaultOAuthApp.clientId,
    clientSecret: config.clientSecret ?? defaultOAuthApp.clientSecret,
    environment: 'sandbox',
    redirectUri: h.callback,
    logging: false,
    includeRefreshTokenHardExpiresIn: config.includeHardExpiry ?? false,
  });
  // These are process-wide statics in intuit-oauth; each test points them at its own server.
  client.setAuthorizeURLs({
    authorizeEndpoint: `${h.base}${oauthPaths.authorize}`,
    tokenEndpoint: `${h.base}${oauthPaths.token}`,
    revokeEndpoint: `${h.base}${oauthPaths.revoke}`,
    userInfoEndpoint: `${h.base}${oauthPaths.userinfo}`,
  });
  OAuthClient.jwks_uri = `${h.base}${oauthPaths.jwks}`;
  return client;
}

const basic = (clientId: string, secret: string): string =>
  `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
const defaultBasic = basic(defaultOAuthApp.clientId, defaultOAuthApp.clientSecret);

function authorizeUrl(h: Harness, params: Record<string, string>): string {
  const query = new URLSearchParams({
    client_id: defaultOAuthApp.clientId,
    response_type: 'code',
    scope: ACCOUNTING,
    redirect_uri: h.callback,
    state: 'state-123',
    ...params,
  });
  return `${h.base}${oauthPaths.authorize}?${query.toString()}`;
}

/** Submits the consent form like a browser: its hidden fields, plus the chosen company and button. */
async function submitConsent(h: Harness, pageUrl: string, choice: Record<string, string>): Promise<Response> {
  const page = await fetch(pageUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  const fields = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields.set(match[1] ?? '', unescapeHtml(match[2] ?? ''));
  }
  for (const [key, value] of Object.entries(choice)) fields.set(key, value);
  const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1] ?? '';
  return fetch(`${h.base}${action}`, { method: 'POST', body: fields, redirect: 'manual' });
}

function unescapeHtml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function location(response: Response): URL {
  const header = response.headers.get('location');
  if (header === null) throw new Error(`expected a redirect, got ${response.status}`);
  return new URL(header);
}

async function approve(h: Harness, params: Record<string, string> = {}, realmId = companies[0]!.realmId) {
  const response = await submitConsent(h, authorizeUrl(h, params), { realmId, action: 'approve' });
  expect(response.status).toBe(302);
  return location(response);
}

async function tokenRequest(h: Harness, body: Record<string, string>, authorization = defaultBasic) {
  const response = await fetch(`${h.base}${oauthPaths.token}`, {
    method: 'POST',
    headers: { Authorization: authorization, Accept: 'application/json' },
    body: new URLSearchParams(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}

/** The error an intuit-oauth promise rejects with (a wrapped Error carrying `error` and `error_description`). */
async function rejection(
  promise: Promise<unknown>,
): Promise<{ error?: unknown; error_description?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as { error?: unknown; error_description?: unknown };
  }
  throw new Error('expected the call to fail');
}

describe('authorize page (company picker)', () => {
  it('lists the companies, escaped, in an accessible form that carries the request through', async () => {
    const h = await start();
    const response = await fetch(authorizeUrl(h, { state: `"><script>alert('x')</script>` }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('intuit_tid')).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    const html = await response.text();
    expect(html).toContain('<h1>Connect to QuickBooks (emulator)</h1>');
    expect(html).toContain('<fieldset>');
    expect(html).toContain(
      `Craig&#39;s Design &amp; &lt;Landscaping&gt; &quot;Services&quot; (Realm ID 9341452000000001)`,
    );
    expect(html).not.toContain('<Landscaping>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"');
    expect(html).toMatch(/<input type="radio" id="realm-1" name="realmId" value="9341452000000002"/);
    expect(html).toContain('<label for="realm-1">Second Company (Realm ID 9341452000000002)</label>');
    expect(html).toContain('value="approve">Approve</button>');
    expect(html).toContain('value="deny" formnovalidate>Deny</button>');
  });

  it('approving redirects to the app with code, state and realmId', async () => {
    const h = await start();
    const callback = await approve(h, { state: 'abc 123' }, '9341452000000002');
    expect(`${callback.origin}${callback.pathname}`).toBe(h.callback);
    expect(callback.searchParams.get('state')).toBe('abc 123');
    expect(callback.searchParams.get('realmId')).toBe('9341452000000002');
    const code = callback.searchParams.get('code') ?? '';
    expect(code.length).toBeGreaterThan(20);
    expect(code.length).toBeLessThanOrEqual(512);
    expect(h.authority.metrics().codesIssued).toBe(1);
  });

  it('denying redirects with error=access_denied and the state, and issues no code', async () => {
    const h = await start();
    const response = await submitConsent(h, authorizeUrl(h, {}), { action: 'deny' });
    expect(response.status).toBe(302);
    const callback = location(response);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('state-123');
    expect(callback.searchParams.has('code')).toBe(false);
  });

  it('redirects invalid_scope and unsupported_response_type back to a valid redirect_uri', async () => {
    const h = await start();
    for (const [params, error] of [
      [{ scope: 'com.intuit.quickbooks.nonsense' }, 'invalid_scope'],
      [{ scope: '' }, 'invalid_scope'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
    ] as const) {
      const response = await fetch(authorizeUrl(h, params), { redirect: 'manual' });
      expect(response.status).toBe(302);
      expect(location(response).searchParams.get('error')).toBe(error);
    }
  });

  it('shows a 400 page and never redirects for an unknown client_id or unregistered redirect_uri', async () => {
    const h = await start();
    const cases = [
      authorizeUrl(h, { client_id: 'nobody' }),
      authorizeUrl(h, { redirect_uri: 'https://evil.example.test/cb' }),
      // Loopback leniency is for the default app only.
      authorizeUrl(h, { client_id: crmApp.clientId, redirect_uri: h.callback }),
      authorizeUrl(h, { client_id: crmApp.clientId, redirect_uri: `${crmApp.redirectUris[0]}/extra` }),
    ];
    for (const url of cases) {
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('role="alert"');
    }
    // The same checks guard the form post.
    const post = await fetch(`${h.base}${oauthPaths.authorize}`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({
        client_id: defaultOAuthApp.clientId,
        redirect_uri: 'https://evil.example.test/cb',
        scope: ACCOUNTING,
        realmId: companies[0]!.realmId,
        action: 'approve',
      }),
    });
    expect(post.status).toBe(400);
    expect(post.headers.get('location')).toBeNull();
  });

  it('accepts an exact registered redirect_uri for a non-default app', async () => {
    const h = await start();
    const response = await fetch(
      authorizeUrl(h, { client_id: crmApp.clientId, redirect_uri: crmApp.redirectUris[0]! }),
    );
    expect(response.status).toBe(200);
  });

  it('rejects approving a company that is not listed', async () => {
    const h = await start();
    const response = await submitConsent(h, authorizeUrl(h, {}), { realmId: '123', action: 'approve' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });
});

describe('intuit-oauth against the emulator', () => {
  it('completes authorize → createToken → refresh → rotation → revoke', async () => {
    const h = await start({ refreshTokenRotation: 'every-refresh', previousRefreshTokenGraceSeconds: 0 });
    const client = intuitClient(h);
    const authUri = client.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state: 'csrf-1' });
    expect(authUri.startsWith(`${h.base}${oauthPaths.authorize}?`)).toBe(true);

    const consent = await submitConsent(h, authUri, { realmId: companies[0]!.realmId, action: 'approve' });
    const created = await client.createToken(location(consent).toString());
    expect(created.getIntuitTid()).toMatch(/^1-/);
    const first = created.getJson() as Record<string, unknown>;
    expect(first).toMatchObject({
      token_type: 'bearer',
      expires_in: 3600,
      x_refresh_token_expires_in: 8_726_400,
    });
    expect(first).not.toHaveProperty('id_token');
    expect(client.getToken().realmId).toBe(companies[0]!.realmId);
    const firstRefresh = client.getToken().refresh_token;
    expect(h.authority.authenticate(`Bearer ${client.getToken().access_token}`)).toEqual({
      ok: true,
      realmId: companies[0]!.realmId,
      clientId: defaultOAuthApp.clientId,
      scopes: [ACCOUNTING],
    });

    await client.refresh();
    const secondRefresh = client.getToken().refresh_token;
    expect(secondRefresh).not.toBe(firstRefresh);
    expect(h.authority.authenticate(`Bearer ${client.getToken().access_token}`).ok).toBe(true);

    // With grace 0 the superseded refresh token is dead at once.
    const stale = await rejection(client.refreshUsingToken(firstRefresh));
    expect(stale).toMatchObject({
      error: 'invalid_grant',
      error_description: 'Incorrect or invalid refresh token',
    });

    const accessBeforeRevoke = client.getToken().access_token;
    await client.refreshUsingToken(secondRefresh); // the failed call above cleared nothing; use the live token
    const latestRefresh = client.getToken().refresh_token;
    await client.revoke();
    expect(client.getToken().refresh_token).toBe('');
    const revoked = await rejection(client.refreshUsingToken(latestRefresh));
    expect(revoked).toMatchObject({ error: 'invalid_grant' });
    expect(h.authority.authenticate(`Bearer ${accessBeforeRevoke}`)).toEqual({
      ok: false,
      reason: 'revoked',
    });
    expect(h.authority.metrics()).toMatchObject({ refreshes: 2, invalidGrants: 2, revocations: 1 });
  });

  it('revoking by refresh token also kills the access tokens of that connection', async () => {
    const h = await start();
    const client = intuitClient(h);
    await client.createToken((await approve(h)).toString());
    const { access_token: access, refresh_token: refresh } = client.getToken();
    await client.revoke({ refresh_token: refresh });
    expect(h.authority.authenticate(`Bearer ${access}`)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('answers invalid_grant when a code is used twice, and revokes what the first use produced', async () => {
    const h = await start();
    const client = intuitClient(h);
    const callback = (await approve(h)).toString();
    await client.createToken(callback);
    const access = client.getToken().access_token;
    const again = await rejection(intuitClient(h).createToken(callback));
    expect(again).toMatchObject({ error: 'invalid_grant' });
    expect(h.authority.authenticate(`Bearer ${access}`)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('answers 401 invalid_client for a wrong client secret', async () => {
    const h = await start();
    const callback = (await approve(h)).toString();
    const failure = await rejection(intuitClient(h, { clientSecret: 'wrong' }).createToken(callback));
    expect(failure).toMatchObject({ error: 'invalid_client' });

    const raw = await tokenRequest(
      h,
      { grant_type: 'refresh_token', refresh_token: 'x' },
      basic(defaultOAuthApp.clientId, 'wrong'),
    );
    expect(raw.status).toBe(401);
    expect(raw.json).toEqual({ error: 'invalid_client' });
    expect(raw.headers.get('intuit_tid')).toMatch(/^1-/);
  });

  it('reports the hard refresh-token limit when asked, and issues a verifiable id_token for openid', async () => {
    // jsonwebtoken checks exp against the real clock, so this test's clock starts at real time.
    const h = await start({ clock: new ManualClock(new Date()) });
    const client = intuitClient(h, { includeHardExpiry: true });
    const authUri = client.authorizeUri({
      scope: [OAuthClient.scopes.Accounting, OAuthClient.scopes.OpenId, 'profile', 'email'],
      state: 's',
    });
    const consent = await submitConsent(h, authUri, { realmId: companies[1]!.realmId, action: 'approve' });
    const created = await client.createToken(location(consent).toString());
    const json = created.getJson() as Record<string, unknown>;
    expect(json['x_refresh_token_hard_expires_in']).toBe(5 * 365 * 86_400);
    expect(typeof json['id_token']).toBe('string');
    await expect(client.validateIdToken()).resolves.toBe(true);

    const info = await client.getUserInfo();
    expect(info.getJson()).toEqual({
      sub: h.authority.user.sub,
      email: h.authority.user.email,
      emailVerified: true,
      givenName: h.authority.user.givenName,
      familyName: h.authority.user.familyName,
    });
  });
});

describe('token endpoint over raw HTTP', () => {
  async function freshCode(h: Harness): Promise<string> {
    return (await approve(h)).searchParams.get('code') ?? '';
  }

  it('exchanges a code with no-store headers and rejects a mismatched redirect_uri or expired code', async () => {
    const h = await start({ authorizationCodeTtlSeconds: 600 });
    const mismatched = await tokenRequest(h, {
      grant_type: 'authorization_code',
      code: await freshCode(h),
      redirect_uri: `${h.callback}/other`,
    });
    expect(mismatched.status).toBe(400);
    expect(mismatched.json['error']).toBe('invalid_grant');

    const expiring = await freshCode(h);
    h.clock.advance(600_000);
    const expired = await tokenRequest(h, {
      grant_type: 'authorization_code',
      code: expiring,
      redirect_uri: h.callback,
    });
    expect(expired.json['error']).toBe('invalid_grant');

    const good = await tokenRequest(h, {
      grant_type: 'authorization_code',
      code: await freshCode(h),
      redirect_uri: h.callback,
    });
    expect(good.status).toBe(200);
    expect(good.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(good.json)).toEqual([
      'token_type',
      'expires_in',
      'refresh_token',
      'x_refresh_token_expires_in',
      'access_token',
    ]);
  });

  it('does not let one app redeem another app’s code or refresh token', async () => {
    const h = await start();
    const code = await freshCode(h);
    const crmAuth = basic(crmApp.clientId, crmApp.clientSecret);
    const stolen = await tokenRequest(
      h,
      { grant_type: 'authorization_code', code, redirect_uri: h.callback },
      crmAuth,
    );
    expect(stolen.json['error']).toBe('invalid_grant');
    const tokens = h.authority.issueTokens(defaultOAuthApp.clientId, '1', [ACCOUNTING]);
    const refresh = await tokenRequest(
      h,
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
      crmAuth,
    );
    expect(refresh.json['error']).toBe('invalid_grant');
  });

  it('answers invalid_request, unsupported_grant_type and accepts client_secret_post', async () => {
    const h = await start();
    expect((await tokenRequest(h, { grant_type: 'password' })).json).toEqual({
      error: 'unsupported_grant_type',
    });
    const missing = await tokenRequest(h, { grant_type: 'refresh_token' });
    expect(missing.status).toBe(400);
    expect(missing.json['error']).toBe('invalid_request');
    expect((await tokenRequest(h, {})).json['error']).toBe('invalid_request');

    const json = await fetch(`${h.base}${oauthPaths.token}`, {
      method: 'POST',
      headers: { Authorization: defaultBasic, 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: 'x' }),
    });
    expect(json.status).toBe(400);
    expect(((await json.json()) as Record<string, unknown>)['error']).toBe('invalid_request');

    const tokens = h.authority.issueTokens(defaultOAuthApp.clientId, '1', [ACCOUNTING]);
    const post = await fetch(`${h.base}${oauthPaths.token}`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: defaultOAuthApp.clientId,
        client_secret: defaultOAuthApp.clientSecret,
      }),
    });
    expect(post.status).toBe(200);
  });
});

describe('refresh token lifetime and rotation', () => {
  const refresh = async (h: Harness, token: string) =>
    tokenRequest(h, { grant_type: 'refresh_token', refresh_token: token });

  it('daily rotation: same refresh token within 24 h, a new one after, the old one lives 24 h more', async () => {
    const h = await start();
    const issued = h.authority.issueTokens(defaultOAuthApp.clientId, 'r1', [ACCOUNTING]);

    h.clock.advance(23 * HOUR_MS);
    const sameDay = await refresh(h, issued.refresh_token);
    expect(sameDay.status).toBe(200);
    expect(sameDay.json['refresh_token']).toBe(issued.refresh_token);
    expect(sameDay.json['access_token']).not.toBe(issued.access_token);
    expect(sameDay.json['x_refresh_token_expires_in']).toBe(8_726_400);
    // A refresh issues a new access token; the previous one keeps working until its own expiry.
    h.clock.advance(30 * 60_000);
    const again = await refresh(h, issued.refresh_token);
    expect(again.json['refresh_token']).toBe(issued.refresh_token);
    expect(again.json['access_token']).not.toBe(sameDay.json['access_token']);
    expect(h.authority.authenticate(`Bearer ${String(sameDay.json['access_token'])}`).ok).toBe(true);

    h.clock.advance(30 * 60_000); // 24 h after issue
    const nextDay = await refresh(h, issued.refresh_token);
    const rotated = String(nextDay.json['refresh_token']);
    expect(rotated).not.toBe(issued.refresh_token);

    // Within the 24 h grace the old token still refreshes, and yields the current one.
    h.clock.advance(DAY_MS - 1000);
    expect((await refresh(h, issued.refresh_token)).json['refresh_token']).toBe(rotated);
    h.clock.advance(1000);
    expect((await refresh(h, issued.refresh_token)).json['error']).toBe('invalid_grant');
    expect((await refresh(h, rotated)).status).toBe(200);
  });

  it('every-refresh rotation can be switched on at run time', async () => {
    const h = await start();
    const issued = h.authority.issueTokens(defaultOAuthApp.clientId, 'r1', [ACCOUNTING]);
    h.authority.setRefreshTokenRotation('every-refresh');
    const first = await refresh(h, issued.refresh_token);
    const second = await refresh(h, String(first.json['refresh_token']));
    expect(
      new Set([issued.refresh_token, first.json['refresh_token'], second.json['refresh_token']]).size,
    ).toBe(3);
  });

  it('expires a refresh token x_refresh_token_expires_in after its last use (rolling), not after issue', async () => {
    const h = await start();
    const issued = h.authority.issueTokens(defaultOAuthApp.clientId, 'r1', [ACCOUNTING]);
    h.clock.advance(23 * HOUR_MS);
    expect((await refresh(h, issued.refresh_token)).json['refresh_token']).toBe(issued.refresh_token);
    h.clock.advance(REFRESH_TTL_MS - 22 * HOUR_MS); // 1 h past the lifetime counted from issue
    expect((await refresh(h, issued.refresh_token)).status).toBe(200);

    const idle = h.authority.issueTokens(defaultOAuthApp.clientId, 'r2', [ACCOUNTING]);
    h.clock.advance(REFRESH_TTL_MS - 1000);
    expect((await refresh(h, idle.refresh_token)).status).toBe(200);
    const idle2 = h.authority.issueTokens(defaultOAuthApp.clientId, 'r3', [ACCOUNTING]);
    h.clock.advance(REFRESH_TTL_MS);
    expect((await refresh(h, idle2.refresh_token)).json['error']).toBe('invalid_grant');
  });

  it('revokeRefreshTokens(realm) makes that realm’s refresh tokens invalid_grant, other realms unaffected', async () => {
    const h = await start();
    const a = h.authority.issueTokens(defaultOAuthApp.clientId, 'realm-a', [ACCOUNTING]);
    const b = h.authority.issueTokens(defaultOAuthApp.clientId, 'realm-b', [ACCOUNTING]);
    h.authority.revokeRefreshTokens('realm-a');
    const failed = await refresh(h, a.refresh_token);
    expect(failed.status).toBe(400);
    expect(failed.json).toEqual({
      error: 'invalid_grant',
      error_description: 'Incorrect or invalid refresh token',
    });
    expect((await refresh(h, b.refresh_token)).status).toBe(200);
    // Access tokens already issued keep working until they expire.
    expect(h.authority.authenticate(`Bearer ${a.access_token}`).ok).toBe(true);
    expect(h.authority.metrics().invalidGrants).toBe(1);
  });
});

describe('TokenAuthority.authenticate', () => {
  it('accepts a fresh token and reports missing, malformed, unknown, expired and revoked', async () => {
    const h = await start();
    const tokens = h.authority.issueTokens(defaultOAuthApp.clientId, 'realm-a', [ACCOUNTING]);
    const other = h.authority.issueTokens(defaultOAuthApp.clientId, 'realm-b', [ACCOUNTING]);
    const header = `Bearer ${tokens.access_token}`;
    expect(h.authority.authenticate(header)).toEqual({
      ok: true,
      realmId: 'realm-a',
      clientId: defaultOAuthApp.clientId,
      scopes: [ACCOUNTING],
    });
    expect(h.authority.authenticate(`bearer ${tokens.access_token}`).ok).toBe(true);
    expect(h.authority.authenticate(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(h.authority.authenticate('')).toEqual({ ok: false, reason: 'missing' });
    expect(h.authority.authenticate(`Basic ${tokens.access_token}`)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(h.authority.authenticate('Bearer')).toEqual({ ok: false, reason: 'malformed' });
    expect(h.authority.authenticate('Bearer not-a-token')).toEqual({ ok: false, reason: 'unknown' });

    h.clock.advance(3599_000);
    expect(h.authority.authenticate(header).ok).toBe(true);
    h.clock.advance(1000);
    expect(h.authority.authenticate(header)).toEqual({ ok: false, reason: 'expired' });
    expect(h.authority.authenticate(`Bearer ${other.access_token}`)).toEqual({
      ok: false,
      reason: 'expired',
    });

    const revoke = await fetch(`${h.base}${oauthPaths.revoke}`, {
      method: 'POST',
      headers: { Authorization: defaultBasic, 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: tokens.refresh_token }),
    });
    expect(revoke.status).toBe(200);
    expect(h.authority.authenticate(header)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('expireAccessTokens(realm) expires only current tokens of that realm', async () => {
    const h = await start();
    const a = h.authority.issueTokens(defaultOAuthApp.clientId, 'realm-a', [ACCOUNTING]);
    const b = h.authority.issueTokens(defaultOAuthApp.clientId, 'realm-b', [ACCOUNTING]);
    h.authority.expireAccessTokens('realm-a');
    expect(h.authority.authenticate(`Bearer ${a.access_token}`)).toEqual({ ok: false, reason: 'expired' });
    expect(h.authority.authenticate(`Bearer ${b.access_token}`).ok).toBe(true);
    // A refresh after the fault gets a working token again.
    const refreshed = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: a.refresh_token });
    expect(h.authority.authenticate(`Bearer ${String(refreshed.json['access_token'])}`).ok).toBe(true);
  });
});

describe('revoke endpoint', () => {
  it('answers 200 for unknown tokens, 401 for bad client auth, and leaves other apps’ tokens alone', async () => {
    const h = await start();
    const tokens = h.authority.issueTokens(defaultOAuthApp.clientId, 'realm-a', [ACCOUNTING]);
    const post = (authorization: string, token: string) =>
      fetch(`${h.base}${oauthPaths.revoke}`, {
        method: 'POST',
        headers: { Authorization: authorization, 'Content-Type': 'application/json' },
        body: JSON.stringify({ token }),
      });
    expect((await post(defaultBasic, 'unknown-token')).status).toBe(200);
    const bad = await post(basic(defaultOAuthApp.clientId, 'nope'), tokens.access_token);
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: 'invalid_client' });
    expect((await post(basic(crmApp.clientId, crmApp.clientSecret), tokens.access_token)).status).toBe(200);
    expect(h.authority.authenticate(`Bearer ${tokens.access_token}`).ok).toBe(true);
    const malformed = await fetch(`${h.base}${oauthPaths.revoke}`, {
      method: 'POST',
      headers: { Authorization: defaultBasic, 'Content-Type': 'application/json' },
      body: '{"token":',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({
      error: 'invalid_request',
      error_description: 'Malformed request body',
    });
  });
});

describe('discovery, JWKS and userinfo', () => {
  it('serves discovery documents whose endpoints point at this server', async () => {
    const h = await start();
    for (const path of [oauthPaths.discovery, oauthPaths.sandboxDiscovery]) {
      const response = await fetch(`${h.base}${path}`);
      expect(response.status).toBe(200);
      const doc = (await response.json()) as Record<string, unknown>;
      expect(doc).toMatchObject({
        issuer: 'https://oauth.platform.intuit.com/op/v1',
        authorization_endpoint: `${h.base}/connect/oauth2`,
        token_endpoint: `${h.base}/oauth2/v1/tokens/bearer`,
        userinfo_endpoint: `${h.base}/v1/openid_connect/userinfo`,
        revocation_endpoint: `${h.base}/v2/oauth2/tokens/revoke`,
        jwks_uri: `${h.base}/op/v1/jwks`,
        response_types_supported: ['code'],
      });
      // Every advertised endpoint is really served here.
      const jwks = (await (await fetch(String(doc['jwks_uri']))).json()) as { keys: { kty: string }[] };
      expect(jwks.keys[0]?.kty).toBe('RSA');
    }
  });

  it('uses a configured baseUrl when given', async () => {
    const h = await start({}, { baseUrl: 'https://qbo-emulator.example.test/' });
    const doc = (await (await fetch(`${h.base}${oauthPaths.discovery}`)).json()) as Record<string, unknown>;
    expect(doc['token_endpoint']).toBe('https://qbo-emulator.example.test/oauth2/v1/tokens/bearer');
  });

  it('derives endpoint URLs from the mount path', async () => {
    const clock = new ManualClock();
    const authority = new TokenAuthority({ clock });
    const app = express();
    app.use('/oauth', createOAuthRouter({ authority, companies: () => companies }));
    const server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    servers.push(server);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth`;
    const doc = (await (await fetch(`${base}${oauthPaths.discovery}`)).json()) as Record<string, unknown>;
    expect(doc['authorization_endpoint']).toBe(`${base}/connect/oauth2`);
    const page = await (
      await fetch(
        `${doc['authorization_endpoint'] as string}?${new URLSearchParams({
          client_id: defaultOAuthApp.clientId,
          response_type: 'code',
          scope: ACCOUNTING,
          redirect_uri: 'http://localhost:9/cb',
        }).toString()}`,
      )
    ).text();
    expect(page).toContain('action="/oauth/connect/oauth2"');
  });

  it('answers userinfo for openid tokens only', async () => {
    const h = await start();
    const get = (authorization?: string) =>
      fetch(`${h.base}${oauthPaths.userinfo}`, {
        headers: authorization ? { Authorization: authorization } : {},
      });
    const openid = h.authority.issueTokens(defaultOAuthApp.clientId, 'r', ['openid', 'email', ACCOUNTING]);
    const response = await get(`Bearer ${openid.access_token}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      sub: h.authority.user.sub,
      email: h.authority.user.email,
      emailVerified: true,
    });
    const accountingOnly = h.authority.issueTokens(defaultOAuthApp.clientId, 'r', [ACCOUNTING]);
    expect((await get(`Bearer ${accountingOnly.access_token}`)).status).toBe(401);
    expect((await get()).status).toBe(401);
    h.clock.advance(HOUR_MS);
    expect((await get(`Bearer ${openid.access_token}`)).status).toBe(401);
  });
});
