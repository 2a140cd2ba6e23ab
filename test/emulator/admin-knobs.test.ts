import { defaultOAuthApp, oauthPaths } from '../../src/emulator/oauth';
import { eventually } from '../support/env';
import {
  http,
  QboClient,
  startTestEmulator,
  startWebhookReceiver,
  type TestEmulator,
} from '../support/emulator';

const throttleFault = {
  type: 'SERVICE',
  error: [{ code: '3001', message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429' }],
};

/** A refresh_token grant as any OAuth client sends it. */
function refresh(emulator: TestEmulator, refreshToken: string) {
  const credentials = Buffer.from(`${defaultOAuthApp.clientId}:${defaultOAuthApp.clientSecret}`).toString(
    'base64',
  );
  return http('POST', `${emulator.url}${oauthPaths.token}`, {
    headers: { Authorization: `Basic ${credentials}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    rawBody: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  });
}

/** The admin knobs over HTTP: faults, limits, clock and reset, each checked by what a client then sees. */
describe('emulator conformance: admin knobs', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;

  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  beforeEach(async () => {
    qbo = await emulator.company();
  });
  afterAll(() => emulator.close());

  const traffic = async (realm: QboClient) =>
    (await emulator.admin('GET', `/companies/${realm.realmId}/traffic`)).json.traffic;

  it('counts injected 429s in the realm’s throttled metric, like the throttles’ own', async () => {
    await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, { errorRates: { '429': 1 } });
    const answers = [await qbo.read('CompanyInfo', qbo.realmId), await qbo.read('CompanyInfo', qbo.realmId)];
    expect(answers.map((answer) => answer.status)).toEqual([429, 429]);
    expect(answers[0]!.json.fault).toMatchObject(throttleFault);
    expect(await traffic(qbo)).toMatchObject({ requests: 2, throttled: 2, inFlight: 0 });
  });

  it('answers injected 502, 503 and 504 with the matching reason phrase', async () => {
    for (const [status, reason] of [
      [502, 'Bad Gateway'],
      [503, 'Service Unavailable'],
      [504, 'Gateway Timeout'],
    ] as const) {
      await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, { errorRates: { [status]: 1 } });
      const answer = await qbo.read('CompanyInfo', qbo.realmId);
      expect(answer.status).toBe(status);
      expect(answer.headers.get('content-type')).toContain('text/html');
      expect(answer.text).toBe(`<html><body><h1>${status} ${reason}</h1></body></html>`);
    }
    expect((await traffic(qbo)).throttled).toBe(0);
  });

  it('tightens the per-second limit and the batch size over PUT /__admin/limits', async () => {
    const configured = (await emulator.admin('PUT', '/limits', {})).json;
    try {
      const tightened = await emulator.admin('PUT', '/limits', { perSecond: 3, maxBatchItems: 2 });
      expect(tightened.json).toEqual({ ...configured, perSecond: 3, maxBatchItems: 2 });
      const statuses: number[] = [];
      for (let index = 0; index < 4; index += 1)
        statuses.push((await qbo.read('CompanyInfo', qbo.realmId)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(await traffic(qbo)).toMatchObject({ requests: 3, throttled: 1, peakPerSecond: 3 });

      const other = await emulator.company({ companyName: 'Batcher' });
      const batchOf = (size: number) =>
        other.request('POST', '/batch', {
          body: {
            BatchItemRequest: Array.from({ length: size }, (_, index) => ({
              bId: `b${index}`,
              Query: 'select * from Term',
            })),
          },
        });
      expect((await batchOf(2)).status).toBe(200);
      const tooBig = await batchOf(3);
      expect(tooBig.status).toBe(400);
      expect(tooBig.json.Fault.Error[0]).toMatchObject({ code: '6000', element: 'BatchItemRequest' });
    } finally {
      await emulator.admin('PUT', '/limits', configured);
    }
  });

  it('expires access tokens when POST /__admin/clock moves time past their hour', async () => {
    expect((await qbo.read('CompanyInfo', qbo.realmId)).status).toBe(200);
    const before = emulator.clock.now().getTime();
    const moved = await emulator.admin('POST', '/clock', { advanceMs: 3_600_000 });
    expect(Date.parse(moved.json.now)).toBe(before + 3_600_000);
    const expired = await qbo.read('CompanyInfo', qbo.realmId);
    expect(expired.status).toBe(401);
    expect(expired.json.fault.error[0]).toMatchObject({ code: '3200', detail: 'Token expired' });
  });

  it('resets OAuth, limits and webhooks too, so nothing leaks into the company that reuses a realmId', async () => {
    const separate = await startTestEmulator();
    const receiver = await startWebhookReceiver();
    try {
      const before = await separate.company();
      const tokens = await separate.admin('POST', `/companies/${before.realmId}/tokens`, {});
      await separate.admin('PUT', '/oauth', {
        refreshTokenRotation: 'every-refresh',
        dropNextTokenResponses: 2,
      });
      await separate.admin('PUT', '/limits', { perSecond: 1 });
      await separate.admin('PUT', `/companies/${before.realmId}/faults`, { webhooks: { dropRate: 1 } });
      await separate.admin('PUT', `/companies/${before.realmId}/webhook`, {
        url: receiver.url,
        verifierToken: 'v',
      });

      expect((await separate.admin('POST', '/reset')).status).toBe(204);
      expect((await separate.admin('GET', '/oauth/metrics')).json).toEqual({
        codesIssued: 0,
        tokensIssued: 0,
        refreshes: 0,
        invalidGrants: 0,
        revocations: 0,
      });
      const after = await separate.company();
      expect(after.realmId).toBe(before.realmId);
      const stale = await new QboClient(separate.url, after.realmId, before.accessToken).read(
        'CompanyInfo',
        after.realmId,
      );
      expect(stale.status).toBe(401);
      expect(stale.json.fault.error[0].detail).toBe('Token invalid');
      expect((await refresh(separate, tokens.json.refresh_token)).json.error).toBe('invalid_grant');

      // No dropped answers left, and daily rotation again: a refresh keeps the same refresh token.
      const fresh = await separate.admin('POST', `/companies/${after.realmId}/tokens`, {});
      const refreshed = await refresh(separate, fresh.json.refresh_token);
      expect(refreshed.status).toBe(200);
      expect(refreshed.json.refresh_token).toBe(fresh.json.refresh_token);

      const limits = (await separate.admin('GET', `/companies/${after.realmId}/traffic`)).json.limits;
      expect(limits.perSecond).toBe(10_000);
      const webhookLog = await separate.admin('GET', `/companies/${after.realmId}/webhook/deliveries`);
      expect(webhookLog.json).toEqual({
        stats: { sent: 0, delivered: 0, failed: 0, dropped: 0, duplicated: 0, pendingEvents: 0 },
        deliveries: [],
      });
      // The old realm's drop fault is gone: a new subscription gets its notification.
      await separate.admin('PUT', `/companies/${after.realmId}/webhook`, {
        url: receiver.url,
        verifierToken: 'v',
      });
      await after.create('Customer', { DisplayName: 'After Reset' });
      await eventually(
        () => Promise.resolve(receiver.requests.length),
        (count) => count >= 1,
        5000,
      );
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await receiver.close();
      await separate.close();
    }
  });
});
