import OAuthClient from 'intuit-oauth';
import { defaultOAuthApp, oauthPaths } from '../../src/emulator/oauth';
import { http, startTestEmulator, type QboClient, type TestEmulator } from '../support/emulator';

/** The OAuth side of the whole emulator app, driven by intuit-oauth and plain fetch, never by its classes. */
describe('emulator conformance: OAuth against the full app', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;

  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  beforeEach(async () => {
    qbo = await emulator.company();
  });
  // PUT /oauth is emulator-wide: each test gets Intuit's rotation and grace back.
  afterEach(() =>
    emulator.admin('PUT', '/oauth', {
      refreshTokenRotation: 'daily',
      previousRefreshTokenGraceSeconds: 86_400,
    }),
  );
  afterAll(() => emulator.close());

  /**
   * The official client with only its URLs changed, holding a fresh token pair for the realm. Its endpoints and
   * `OAuthClient.environment` (the base of relative `makeApiCall` URLs) are statics shared by every client.
   */
  async function connectedClient(): Promise<OAuthClient> {
    const client = new OAuthClient({
      clientId: defaultOAuthApp.clientId,
      clientSecret: defaultOAuthApp.clientSecret,
      environment: 'sandbox',
      redirectUri: `${emulator.url}/callback`,
      logging: false,
    });
    client.setAuthorizeURLs({
      authorizeEndpoint: `${emulator.url}${oauthPaths.authorize}`,
      tokenEndpoint: `${emulator.url}${oauthPaths.token}`,
      revokeEndpoint: `${emulator.url}${oauthPaths.revoke}`,
      userInfoEndpoint: `${emulator.url}${oauthPaths.userinfo}`,
    });
    OAuthClient.environment = { sandbox: `${emulator.url}/`, production: `${emulator.url}/` };
    const tokens = await emulator.admin('POST', `/companies/${qbo.realmId}/tokens`, {});
    client.setToken({ ...tokens.json, realmId: qbo.realmId });
    return client;
  }

  it('answers a /v3 call with an access token revoked through intuit-oauth with the gateway 401 Fault', async () => {
    const client = await connectedClient();
    const accessToken = client.getToken().access_token ?? '';
    const before = await http('GET', qbo.url(`/companyinfo/${qbo.realmId}`), {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    expect(before.status).toBe(200);

    await client.revoke();
    const after = await http('GET', qbo.url(`/companyinfo/${qbo.realmId}`), {
      headers: { Authorization: `Bearer ${accessToken}` },
    });
    expect(after.status).toBe(401);
    expect(after.headers.get('content-type')).toContain('application/json');
    expect(after.json).toMatchObject({
      fault: {
        error: [
          {
            message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401',
            detail: 'Token revoked',
            code: '3200',
            element: null,
          },
        ],
        type: 'AUTHENTICATION',
      },
      intuitObject: null,
      time: expect.any(Number),
    });
  });

  it('lets intuit-oauth makeApiCall reach the API by a relative URL, and turns a Fault into an OAuthError', async () => {
    const client = await connectedClient();
    const base = `v3/company/${qbo.realmId}`;
    const info = await client.makeApiCall({ url: `${base}/companyinfo/${qbo.realmId}?minorversion=75` });
    expect(info.status).toBe(200);
    expect(info.json.CompanyInfo.CompanyName).toBe('Test Company');

    const create = () =>
      client.makeApiCall({
        url: `${base}/customer?minorversion=75`,
        method: 'POST',
        body: { DisplayName: 'Twin' },
      });
    expect((await create()).json.Customer.DisplayName).toBe('Twin');
    await expect(create()).rejects.toMatchObject({
      name: 'OAuthError',
      code: '6240',
      message: 'Duplicate Name Exists Error',
      faultType: 'ValidationFault',
      fault: { type: 'ValidationFault', errors: [expect.objectContaining({ code: '6240' })] },
    });
  });

  it('serves the discovery document with its own endpoint URLs and Intuit’s issuer', async () => {
    const discovery = await http('GET', `${emulator.url}${oauthPaths.discovery}`);
    expect(discovery.status).toBe(200);
    expect(discovery.headers.get('intuit_tid')).toBeTruthy();
    expect(discovery.json).toMatchObject({
      issuer: 'https://oauth.platform.intuit.com/op/v1', // what intuit-oauth's validateIdToken() insists on
      authorization_endpoint: `${emulator.url}/connect/oauth2`,
      token_endpoint: `${emulator.url}/oauth2/v1/tokens/bearer`,
      revocation_endpoint: `${emulator.url}/v2/oauth2/tokens/revoke`,
      userinfo_endpoint: `${emulator.url}/v1/openid_connect/userinfo`,
      jwks_uri: `${emulator.url}/op/v1/jwks`,
      response_types_supported: ['code'],
    });
    const jwks = await http('GET', discovery.json.jwks_uri);
    expect(jwks.json.keys).toEqual([expect.objectContaining({ kty: 'RSA', alg: 'RS256' })]);
  });

  it('makes a superseded refresh token invalid_grant at once when the admin API sets the grace to 0', async () => {
    const settings = await emulator.admin('PUT', '/oauth', {
      refreshTokenRotation: 'every-refresh',
      previousRefreshTokenGraceSeconds: 0,
    });
    expect(settings.json).toEqual({
      refreshTokenRotation: 'every-refresh',
      previousRefreshTokenGraceSeconds: 0,
    });
    const client = await connectedClient();
    const superseded = client.getToken().refresh_token ?? '';
    const rotated = (await client.refresh()).getToken().refresh_token;
    expect(rotated).not.toBe(superseded);

    await expect(client.refreshUsingToken(superseded)).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: 'Incorrect or invalid refresh token',
    });
    expect((await client.refreshUsingToken(rotated ?? '')).getToken().access_token).toBeTruthy();
  });

  it('keeps a superseded refresh token for the grace set, until POST /__admin/clock moves past it', async () => {
    await emulator.admin('PUT', '/oauth', {
      refreshTokenRotation: 'every-refresh',
      previousRefreshTokenGraceSeconds: 60,
    });
    const client = await connectedClient();
    const superseded = client.getToken().refresh_token ?? '';
    await client.refresh();
    await expect(client.refreshUsingToken(superseded)).resolves.toBeDefined();

    const moved = await emulator.admin('POST', '/clock', { advanceMs: 60_000 });
    expect(moved.json.now).toBe(emulator.clock.now().toISOString());
    await expect(client.refreshUsingToken(superseded)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
