import { randomBytes } from 'node:crypto';
import { connectionModel, connectionTokensModel } from '../../src/db/models/connection';
import { connectMongo } from '../../src/db/connect';
import { ConnectionNeedsReauthError, ConnectionTokens, storeTokens } from '../../src/oauth/connection-tokens';
import { IntuitOAuth, endpointsAt, type TokenSet } from '../../src/oauth/intuit-oauth';
import { KeyRing } from '../../src/security/encryption';
import { http, startTestEmulator, type TestEmulator } from '../support/emulator';
import { openTestDatabase, type TestDatabase } from '../support/env';

describe('OAuth tokens: connect, seal, refresh once across workers, needs_reauth', () => {
  let emulator: TestEmulator;
  let db: TestDatabase;
  let oauth: IntuitOAuth;
  const keys = new KeyRing([{ version: 'v1', key: randomBytes(32) }]);

  beforeAll(async () => {
    emulator = await startTestEmulator();
    db = await openTestDatabase('oauth_tokens');
    oauth = new IntuitOAuth({
      clientId: 'qbo-emulator-client',
      clientSecret: 'qbo-emulator-secret',
      environment: 'sandbox',
      redirectUri: 'http://127.0.0.1:9/v1/oauth/quickbooks/callback',
      endpoints: endpointsAt(emulator.url),
      timeoutMs: 5000,
    });
  });
  afterAll(async () => {
    await emulator.close();
    await db.close();
  });

  /** Walks the consent page as a user would and returns the callback URL Intuit would redirect to. */
  async function consent(realmId: string): Promise<string> {
    const authorizeUrl = new URL(oauth.authorizeUrl('state-1'));
    const approve = await fetch(authorizeUrl.origin + authorizeUrl.pathname, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        ...Object.fromEntries(authorizeUrl.searchParams),
        realmId,
        action: 'approve',
      }).toString(),
    });
    return approve.headers.get('location')!;
  }

  async function connect(connectionId: string): Promise<TokenSet> {
    const company = await emulator.company();
    const { realmId, tokens } = await oauth.exchangeCode(await consent(company.realmId));
    expect(realmId).toBe(company.realmId);
    await connectionModel(db.mongoose.connection).create({
      _id: connectionId,
      accountId: 'acct_1',
      realmId,
      environment: 'sandbox',
      status: 'active',
    });
    await storeTokens(db.mongoose.connection, keys, connectionId, tokens, new Date());
    return tokens;
  }

  const tokensFor = (connectionId: string, worker = db.mongoose.connection) =>
    new ConnectionTokens({
      db: worker,
      keys,
      connectionId,
      refreshGrant: (token) => oauth.refresh(token),
      pollMs: 20,
    });

  const refreshCount = async (): Promise<number> =>
    (await emulator.admin('GET', '/oauth/metrics')).json.refreshes;

  const expireStoredAccessToken = (connectionId: string) =>
    connectionTokensModel(db.mongoose.connection).updateOne(
      { _id: connectionId },
      { $set: { accessExpiresAt: new Date(0) } },
    );

  it('completes the connect flow and stores the tokens sealed, never in clear', async () => {
    const tokens = await connect('conn_sealed');
    const raw = JSON.stringify(
      await db.mongoose.connection.db!.collection('connection_tokens').find({}).toArray(),
    );
    expect(raw).toContain('conn_sealed');
    expect(raw).not.toContain(tokens.accessToken);
    expect(raw).not.toContain(tokens.refreshToken);
    expect(await tokensFor('conn_sealed').accessToken()).toBe(tokens.accessToken);
  });

  it('refreshes an expiring token once, stores the new one first, and the new token works', async () => {
    const original = await connect('conn_refresh');
    await expireStoredAccessToken('conn_refresh');
    const before = await refreshCount();
    const fresh = await tokensFor('conn_refresh').accessToken();
    expect(fresh).not.toBe(original.accessToken);
    expect(await refreshCount()).toBe(before + 1);
    const stored = await connectionModel(db.mongoose.connection).findById('conn_refresh').lean();
    expect(
      (await connectionTokensModel(db.mongoose.connection).findById('conn_refresh').lean())?.version,
    ).toBe(2);
    const realmId = stored!.realmId;
    const api = await http('GET', `${emulator.url}/v3/company/${realmId}/companyinfo/${realmId}`, {
      headers: { Authorization: `Bearer ${fresh}` },
    });
    expect(api.status).toBe(200);
  });

  it('makes exactly one refresh when three workers need a token at once', async () => {
    await connect('conn_race');
    await expireStoredAccessToken('conn_race');
    const workers = await Promise.all([1, 2, 3].map(() => connectMongo(db.uri, 5000)));
    try {
      const before = await refreshCount();
      const sources = workers.map((worker) => tokensFor('conn_race', worker.connection));
      const results = await Promise.all(
        Array.from({ length: 51 }, (_, index) => sources[index % 3]!.accessToken()),
      );
      expect(new Set(results).size).toBe(1);
      expect(await refreshCount()).toBe(before + 1);
      expect(
        (await connectionTokensModel(db.mongoose.connection).findById('conn_race').lean())?.version,
      ).toBe(2);
    } finally {
      await Promise.all(workers.map((worker) => worker.disconnect()));
    }
  });

  it('after a 401 refreshes only if the refused token is still the stored one', async () => {
    const original = await connect('conn_401');
    const source = tokensFor('conn_401');
    const before = await refreshCount();
    const fresh = await source.refreshAfterUnauthorized(original.accessToken);
    expect(await refreshCount()).toBe(before + 1);
    expect(await source.refreshAfterUnauthorized(original.accessToken)).toBe(fresh);
    expect(await refreshCount()).toBe(before + 1);
  });

  it('marks the connection needs_reauth on invalid_grant and stops calling Intuit', async () => {
    await connect('conn_revoked');
    const { realmId } = (await connectionModel(db.mongoose.connection).findById('conn_revoked').lean())!;
    await emulator.admin('POST', `/companies/${realmId}/revoke-refresh-tokens`);
    await expireStoredAccessToken('conn_revoked');
    const source = tokensFor('conn_revoked');
    await expect(source.accessToken()).rejects.toBeInstanceOf(ConnectionNeedsReauthError);
    const stored = await connectionModel(db.mongoose.connection).findById('conn_revoked').lean();
    expect(stored).toMatchObject({
      status: 'needs_reauth',
      statusReason: expect.stringContaining('invalid_grant'),
    });
    const before = await refreshCount();
    await expect(source.accessToken()).rejects.toBeInstanceOf(ConnectionNeedsReauthError);
    expect(await refreshCount()).toBe(before);
  });
});
