import { request as httpRequest } from 'node:http';
import { issueConsoleSignInLink } from '../../src/accounts/console-sign-in';
import { revokeApiKey } from '../../src/accounts/keys';
import { sessionModel } from '../../src/api/sessions';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { withLastCharacterChanged } from '../support/forgery';

/** The console's sign-in, over real HTTP: a key in, an httpOnly cookie out, CSRF-safe, and sign-out that works. */
describe('console sessions', () => {
  let harness: ApiHarness;
  let connectionId: string;

  beforeAll(async () => {
    harness = await startApiHarness();
    connectionId = (await harness.connect(harness.account, { backfill: false })).id;
  });
  afterAll(() => harness?.close());

  const origin = () => harness.url;

  async function signIn(key = harness.account.key) {
    const answer = await harness.request('POST', '/v1/sessions', {
      key: null,
      body: { apiKey: key },
      headers: { origin: origin() },
    });
    const cookie = answer.headers.get('set-cookie') ?? '';
    return { answer, cookie, pair: cookie.split(';')[0]! };
  }

  /** A request as a page of our origin sends it: the cookie, the page's Origin, no key. */
  const asPage = (
    method: string,
    path: string,
    pair: string,
    headers: Record<string, string> = {},
    body?: unknown,
  ) =>
    harness.request(method, path, {
      key: null,
      headers: { cookie: pair, origin: origin(), 'sec-fetch-site': 'same-origin', ...headers },
      ...(body !== undefined ? { body } : {}),
    });

  it('exchanges a key for an httpOnly, SameSite=Strict cookie that stores no key', async () => {
    const { answer, cookie, pair } = await signIn();
    expect(answer.status).toBe(201);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.json).toEqual({
      accountId: harness.account.id,
      csrfToken: expect.stringMatching(/^[\w-]{43}$/),
      expiresAt: expect.any(String),
    });
    const attributes = cookie.split(';').map((part) => part.trim());
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/v1']));
    // Plain HTTP on loopback is a developer's machine: no Secure there, or the browser would drop the cookie.
    expect(attributes).not.toContain('Secure');
    const token = pair.split('=')[1]!;
    expect(token).not.toContain(harness.account.key.slice(4));
    // Only the token's hash is kept.
    const stored = await sessionModel(harness.db.mongoose.connection)
      .find({ accountId: harness.account.id })
      .lean();
    expect(stored.map((session) => session._id)).not.toContain(token);

    const current = await asPage('GET', '/v1/sessions/current', pair);
    expect(current.status).toBe(200);
    expect(current.json).toEqual({
      accountId: harness.account.id,
      csrfToken: answer.json.csrfToken,
      expiresAt: expect.any(String),
    });
    const connections = await asPage('GET', '/v1/connections', pair);
    expect(connections.status).toBe(200);
    expect(connections.json.data.map((connection: { id: string }) => connection.id)).toEqual([connectionId]);
  });

  it('signs in once with a one-time console link, as the key it stands for', async () => {
    const link = await issueConsoleSignInLink(harness.db.mongoose.connection, {
      accountId: harness.account.id,
      baseUrl: harness.url,
    });
    expect(link.url).toBe(`${harness.url}/console#signInToken=${link.token}`);
    const first = await harness.request('POST', '/v1/sessions', {
      key: null,
      body: { signInToken: link.token },
      headers: { origin: origin() },
    });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ accountId: harness.account.id });
    const pair = (first.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect((await asPage('GET', '/v1/sessions/current', pair)).status).toBe(200);
    const again = await harness.request('POST', '/v1/sessions', {
      key: null,
      body: { signInToken: link.token },
      headers: { origin: origin() },
    });
    expect(again.status).toBe(401);
    expect(again.json).toMatchObject({ code: 'invalid_sign_in_token', field: 'body.signInToken' });
    expect(again.json.detail).toMatch(/used/);
  });

  it('marks the cookie Secure for any host but loopback', async () => {
    const url = new URL('/v1/sessions', harness.url);
    const setCookie = await new Promise<string>((resolve, reject) => {
      const request = httpRequest(
        url,
        {
          method: 'POST',
          headers: { host: 'console.example', 'content-type': 'application/json' },
          timeout: 10_000,
        },
        (response) => {
          response.resume();
          resolve(String(response.headers['set-cookie'] ?? ''));
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify({ apiKey: harness.account.key }));
    });
    expect(setCookie).toMatch(/; Secure/);
  });

  it('refuses writes without the CSRF token, and any request from another origin', async () => {
    const { answer, pair } = await signIn();
    const csrf: string = answer.json.csrfToken;
    const sync = `/v1/connections/${connectionId}/sync`;

    const bare = await asPage('POST', sync, pair);
    expect(bare.status).toBe(403);
    expect(bare.json).toMatchObject({ code: 'csrf_rejected', field: 'header.X-CSRF-Token' });
    const wrong = await asPage('POST', sync, pair, { 'x-csrf-token': `${csrf.slice(1)}x` });
    expect(wrong.json).toMatchObject({ status: 403, code: 'csrf_rejected' });

    const foreign = await asPage('GET', '/v1/connections', pair, { origin: 'https://evil.example' });
    expect(foreign.json).toMatchObject({ status: 403, code: 'csrf_rejected', field: 'header.Origin' });
    const crossSite = await asPage('POST', sync, pair, {
      'x-csrf-token': csrf,
      'sec-fetch-site': 'cross-site',
    });
    expect(crossSite.json).toMatchObject({ status: 403, code: 'csrf_rejected' });
    // Nor can another site sign a visitor in to an account of its choosing.
    const loginForgery = await harness.request('POST', '/v1/sessions', {
      key: null,
      body: { apiKey: harness.account.key },
      headers: { origin: 'https://evil.example' },
    });
    expect(loginForgery.json).toMatchObject({ status: 403, code: 'csrf_rejected' });

    const allowed = await asPage('POST', sync, pair, { 'x-csrf-token': csrf });
    expect(allowed.status).toBe(202);
  });

  it('signs out: the session is gone and its cookie cleared', async () => {
    const { answer, pair } = await signIn();
    const out = await asPage('DELETE', '/v1/sessions/current', pair, {
      'x-csrf-token': answer.json.csrfToken,
    });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^qbs_session=; .*Max-Age=0/);
    const after = await asPage('GET', '/v1/connections', pair);
    expect(after.json).toMatchObject({ status: 401, code: 'invalid_session' });
  });

  it('ends the sessions of a revoked key, and refuses bad keys at sign-in', async () => {
    const other = await harness.newAccount('Revoked console user');
    const { pair } = await signIn(other.key);
    expect((await asPage('GET', '/v1/sessions/current', pair)).status).toBe(200);
    await revokeApiKey(harness.db.mongoose.connection, other.id, other.key.split('_')[1]!);
    expect((await asPage('GET', '/v1/sessions/current', pair)).json).toMatchObject({
      status: 401,
      code: 'invalid_session',
    });

    const refused = await signIn(withLastCharacterChanged(harness.account.key));
    expect(refused.answer.json).toMatchObject({ status: 401, code: 'invalid_api_key', field: 'body.apiKey' });
    expect(refused.cookie).toBe('');
    const missing = await harness.request('POST', '/v1/sessions', { key: null, body: {} });
    expect(missing.json).toMatchObject({
      status: 401,
      code: 'authentication_required',
      field: 'body.apiKey',
    });
    // An API key request is not a session.
    expect((await harness.request('GET', '/v1/sessions/current')).status).toBe(404);
  });
});
