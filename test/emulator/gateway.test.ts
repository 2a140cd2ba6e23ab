import OAuthClient from 'intuit-oauth';
import { http, QboClient, startTestEmulator, type TestEmulator } from '../support/emulator';

describe('emulator conformance: gateway, throttling, OAuth and fault injection', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;

  beforeAll(async () => {
    emulator = await startTestEmulator({ limits: { perSecond: 10, perMinute: 500, concurrent: 10 } });
  });
  // Throttles and faults are per realm: a company of its own keeps each test's traffic apart.
  beforeEach(async () => {
    qbo = await emulator.company();
  });
  afterAll(() => emulator.close());

  it('answers a missing or bad token with the gateway 401 envelope (lower-case keys)', async () => {
    const anonymous = await http('GET', qbo.url('/companyinfo/' + qbo.realmId));
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.fault).toMatchObject({
      type: 'AUTHENTICATION',
      error: [{ code: '3200', message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401' }],
    });
    const garbage = await new QboClient(emulator.url, qbo.realmId, 'garbage').read('Customer', '1');
    expect(garbage.status).toBe(401);
  });

  it('expires access tokens after an hour, or at once when an admin forces it', async () => {
    expect((await qbo.read('CompanyInfo', qbo.realmId)).status).toBe(200);
    const tokens = await emulator.admin('POST', `/companies/${qbo.realmId}/tokens`, {});
    const later = new QboClient(emulator.url, qbo.realmId, tokens.json.access_token);
    emulator.clock.advance(3601_000);
    expect((await later.read('CompanyInfo', qbo.realmId)).status).toBe(401);
    const fresh = await emulator.admin('POST', `/companies/${qbo.realmId}/tokens`, {});
    qbo.accessToken = fresh.json.access_token;
    expect((await qbo.read('CompanyInfo', qbo.realmId)).status).toBe(200);
    await emulator.admin('POST', `/companies/${qbo.realmId}/expire-access-tokens`);
    const expired = await qbo.read('CompanyInfo', qbo.realmId);
    expect(expired.status).toBe(401);
    expect(expired.json.fault.error[0].detail).toBe('Token expired');
    qbo.accessToken = (
      await emulator.admin('POST', `/companies/${qbo.realmId}/tokens`, {})
    ).json.access_token;
  });

  it('refuses a token for another realm with 403 AuthorizationFailed', async () => {
    const other = await emulator.company({ companyName: 'Other' });
    const crossed = await new QboClient(emulator.url, other.realmId, qbo.accessToken).read(
      'CompanyInfo',
      other.realmId,
    );
    expect(crossed.status).toBe(403);
    expect(crossed.json.fault).toMatchObject({ type: 'SERVICE', error: [{ code: '3100' }] });
  });

  it('answers the 11th concurrent request with 429 ThrottleExceeded and counts peak concurrency', async () => {
    await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, { latencyMs: 300 });
    const responses = await Promise.all(
      Array.from({ length: 13 }, () => qbo.read('CompanyInfo', qbo.realmId)),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(3);
    const throttled = responses.find((response) => response.status === 429)!;
    expect(throttled.json.fault).toMatchObject({
      type: 'SERVICE',
      error: [{ code: '3001', message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429' }],
    });
    const traffic = await emulator.admin('GET', `/companies/${qbo.realmId}/traffic`);
    expect(traffic.json.traffic).toMatchObject({ peakInFlight: 10, inFlight: 0 });
    expect(traffic.json.traffic.throttled).toBeGreaterThanOrEqual(3);
  });

  it('throttles more than 10 requests in one second', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 14; index += 1)
      statuses.push((await qbo.read('CompanyInfo', qbo.realmId)).status);
    expect(statuses.slice(0, 10).every((status) => status === 200)).toBe(true);
    expect(statuses.slice(10)).toContain(429);
  });

  it('sends XML error bodies when that fault mode is on', async () => {
    await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, { xmlErrors: true });
    const fault = await qbo.read('Customer', '987654');
    expect(fault.status).toBe(400);
    expect(fault.headers.get('content-type')).toContain('application/xml');
    expect(fault.text).toContain('<Error code="610"');
    const unauthenticated = await new QboClient(emulator.url, qbo.realmId, 'nope').read('Customer', '1');
    expect(unauthenticated.text).toContain('<Fault type="AuthenticationFault"><Error code="100">');
  });

  it('injects 5xx at the configured rate, deterministically for a seed', async () => {
    await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, { errorRates: { '503': 1 } });
    const unavailable = await qbo.read('CompanyInfo', qbo.realmId);
    expect(unavailable.status).toBe(503);
    await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, { errorRates: { '500': 1 } });
    const failed = await qbo.read('CompanyInfo', qbo.realmId);
    expect(failed.status).toBe(500);
    expect(failed.json.Fault.type).toBe('SystemFault');
  });

  it('commits a write whose response is then lost; a retry with the same requestid gets the original', async () => {
    await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, { dropResponsesAfterCommit: 1 });
    await expect(
      qbo.write('Customer', { DisplayName: 'Lost Response Ltd' }, { requestid: 'lost-1' }),
    ).rejects.toThrow();
    const retried = await qbo.write(
      'Customer',
      { DisplayName: 'Lost Response Ltd' },
      { requestid: 'lost-1' },
    );
    expect(retried.status).toBe(200);
    const count = await qbo.query("select count(*) from Customer where DisplayName = 'Lost Response Ltd'");
    expect(count.json.QueryResponse.totalCount).toBe(1);
  });

  it('lets the official intuit-oauth client connect, call the API, refresh and revoke', async () => {
    const client = new OAuthClient({
      clientId: 'qbo-emulator-client',
      clientSecret: 'qbo-emulator-secret',
      environment: 'sandbox',
      redirectUri: 'http://127.0.0.1:9/callback',
      logging: false,
    });
    client.setAuthorizeURLs({
      authorizeEndpoint: `${emulator.url}/connect/oauth2`,
      tokenEndpoint: `${emulator.url}/oauth2/v1/tokens/bearer`,
      revokeEndpoint: `${emulator.url}/v2/oauth2/tokens/revoke`,
      userInfoEndpoint: `${emulator.url}/v1/openid_connect/userinfo`,
    });
    const authorizeUrl = client.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state: 'csrf-123' });
    const page = await http('GET', authorizeUrl);
    expect(page.text).toContain(qbo.realmId);
    const approve = await fetch(`${emulator.url}/connect/oauth2`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        ...Object.fromEntries(new URL(authorizeUrl).searchParams),
        realmId: qbo.realmId,
        action: 'approve',
      }).toString(),
    });
    expect(approve.status).toBe(302);
    const callback = approve.headers.get('location')!;
    expect(new URL(callback).searchParams.get('state')).toBe('csrf-123');

    const token = await client.createToken(callback);
    expect(token.getToken().realmId).toBe(qbo.realmId);
    const firstAccessToken = token.getToken().access_token ?? '';
    const api = new QboClient(emulator.url, qbo.realmId, firstAccessToken);
    const info = await api.read('CompanyInfo', qbo.realmId);
    expect(info.json.CompanyInfo.CompanyName).toBe('Test Company');

    const refreshed = await client.refresh();
    expect(refreshed.getToken().access_token).not.toBe(firstAccessToken);
    const refreshToken = refreshed.getToken().refresh_token ?? '';
    await client.revoke();
    await expect(client.refreshUsingToken(refreshToken)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});
