import { QboApiError, QboClient, type TokenSource } from '../../src/qbo';
import { startTestEmulator, type TestEmulator } from '../support/emulator';
import { newRealm, setFaults, type TestRealm } from './support';

describe('QboClient against the emulator gateway: tokens, throttling, server errors, timeouts', () => {
  let emulator: TestEmulator;
  let realm: TestRealm;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    realm = await newRealm(emulator);
  });
  afterEach(() => setFaults(emulator, realm.realmId, {}));
  afterAll(() => emulator.close());

  it('after the access token expires, refreshes once through the TokenSource and succeeds', async () => {
    const { client, tokens, realmId } = realm;
    const before = await tokens.accessToken();
    await client.companyInfo();
    expect(tokens.refreshes).toEqual([]);

    const expired = await emulator.admin('POST', `/companies/${realmId}/expire-access-tokens`);
    expect(expired.status).toBe(204);
    const info = await client.companyInfo();
    expect(info).toMatchObject({ Id: '1', CompanyName: 'Test Company' });
    expect(tokens.refreshes).toEqual([before]);
    expect(await tokens.accessToken()).not.toBe(before);

    // The new token is used from now on: no further refresh.
    await client.preferences();
    expect(tokens.refreshes).toHaveLength(1);
  });

  it('gives up with kind unauthorized when the refreshed token is refused too', async () => {
    const refreshes: string[] = [];
    const stubborn: TokenSource = {
      accessToken: () => Promise.resolve('not-a-real-token'),
      refreshAfterUnauthorized: (rejected) => {
        refreshes.push(rejected);
        return Promise.resolve('still-not-a-real-token');
      },
    };
    const client = new QboClient({ baseUrl: emulator.url, realmId: realm.realmId, tokens: stubborn });
    const error = await client.preferences().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QboApiError);
    expect(error).toMatchObject({ kind: 'unauthorized', status: 401, code: '3200', retryable: false });
    expect(refreshes).toEqual(['not-a-real-token']);
  });

  it("refuses another realm's token as forbidden (3100) without refreshing", async () => {
    const other = await newRealm(emulator, { companyName: 'Other Co' });
    const client = new QboClient({ baseUrl: emulator.url, realmId: realm.realmId, tokens: other.tokens });
    await expect(client.companyInfo()).rejects.toMatchObject({
      kind: 'forbidden',
      code: '3100',
      status: 403,
    });
    expect(other.tokens.refreshes).toEqual([]);
  });

  it('reports a 429 as throttled and retryable, in JSON and in the XML form', async () => {
    const { client, realmId } = realm;
    await setFaults(emulator, realmId, { errorRates: { '429': 1 } });
    const error = await client.read('Customer', '1').catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'throttled', status: 429, code: '3001', retryable: true });
    // The emulator, like Intuit, sends no Retry-After: the caller backs off on its own.
    expect((error as QboApiError).retryAfterMs).toBeUndefined();

    await setFaults(emulator, realmId, { errorRates: { '429': 1 }, xmlErrors: true });
    await expect(client.read('Customer', '1')).rejects.toMatchObject({
      kind: 'throttled',
      code: '3001',
      faultType: 'SERVICE',
      detail: 'The request limit was reached.  Try again later',
    });
  });

  it('reports a 503 page as a retryable server error, and a 500 SystemFault too', async () => {
    const { client, realmId } = realm;
    await setFaults(emulator, realmId, { errorRates: { '503': 1 } });
    await expect(client.preferences()).rejects.toMatchObject({
      kind: 'server',
      status: 503,
      retryable: true,
    });
    await setFaults(emulator, realmId, { errorRates: { '500': 1 } });
    await expect(client.preferences()).rejects.toMatchObject({
      kind: 'server',
      status: 500,
      code: '10000',
      faultType: 'SystemFault',
      retryable: true,
    });
  });

  it('times out a slow answer as a retryable timeout', async () => {
    const { realmId, tokens } = realm;
    const impatient = new QboClient({ baseUrl: emulator.url, realmId, tokens, timeoutMs: 100 });
    const latencyMs = 600;
    await setFaults(emulator, realmId, { latencyMs });
    const started = Date.now();
    const error = await impatient.preferences().catch((e: unknown) => e);
    const waited = Date.now() - started;
    expect(error).toMatchObject({ kind: 'timeout', status: 0, retryable: true });
    expect(waited).toBeLessThan(latencyMs);
    // Let the emulator's delayed handler finish, so nothing outlives the suite.
    await new Promise((resolve) => setTimeout(resolve, latencyMs - waited + 50));
  });

  it('reads the currency settings from Preferences and the company from CompanyInfo', async () => {
    const multi = await newRealm(emulator, { companyName: 'Global Goods', multiCurrency: true });
    const preferences = await multi.client.preferences();
    expect(preferences.CurrencyPrefs).toMatchObject({
      MultiCurrencyEnabled: true,
      HomeCurrency: { value: 'USD' },
    });
    const single = await realm.client.preferences();
    expect(single.CurrencyPrefs?.MultiCurrencyEnabled).toBe(false);
    const info = await multi.client.companyInfo();
    expect(info.CompanyName).toBe('Global Goods');
  });
});
