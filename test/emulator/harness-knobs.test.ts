import { createServer, type Server } from 'node:http';
import { eventually } from '../support/env';
import { http, salesLine, startTestEmulator, type QboClient, type TestEmulator } from '../support/emulator';

const basic = `Basic ${Buffer.from('qbo-emulator-client:qbo-emulator-secret').toString('base64')}`;
/** The emulator knobs the sync engine's failure catalogue relies on (shared/research/reliability-anchors.md). */
describe('emulator harness knobs', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    qbo = await emulator.company();
  });
  afterAll(() => emulator.close());

  it('logs every API request with its body, so a test can prove updates were sparse', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Logged Ltd' });
    await qbo.write('Customer', { Id: customer.Id, SyncToken: '0', sparse: true, Notes: 'x' });
    const log = await emulator.admin('GET', `/companies/${qbo.realmId}/requests?limit=2`);
    expect(log.json.requests).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/customer',
        status: 200,
        body: { DisplayName: 'Logged Ltd' },
      }),
      expect.objectContaining({
        method: 'POST',
        path: '/customer',
        body: { Id: customer.Id, SyncToken: '0', sparse: true, Notes: 'x' },
      }),
    ]);
  });

  it('merges a customer into another: transactions move, balance follows, webhook says Merge with deletedId', async () => {
    const received: string[] = [];
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as { port: number }).port;
    await emulator.admin('PUT', `/companies/${qbo.realmId}/webhook`, {
      url: `http://127.0.0.1:${port}/`,
      verifierToken: 'v',
    });
    try {
      const loser = await qbo.create('Customer', { DisplayName: 'Acme Duplicate' });
      const survivor = await qbo.create('Customer', { DisplayName: 'Acme Ltd' });
      const invoice = await qbo.create('Invoice', {
        CustomerRef: { value: loser.Id },
        Line: [salesLine(25)],
      });
      const merged = await emulator.admin('POST', `/companies/${qbo.realmId}/merge-customers`, {
        fromId: loser.Id,
        intoId: survivor.Id,
      });
      expect(merged.status).toBe(200);
      expect(merged.json.Customer.Balance).toBe(25);
      expect((await qbo.read('Invoice', invoice.Id)).json.Invoice.CustomerRef).toEqual({
        value: survivor.Id,
        name: 'Acme Ltd',
      });
      expect((await qbo.read('Customer', loser.Id)).json.Customer).toMatchObject({
        Active: false,
        Balance: 0,
        DisplayName: 'Acme Duplicate (deleted)',
      });
      const events = await eventually(
        () =>
          Promise.resolve(
            received.flatMap((body) => JSON.parse(body).eventNotifications[0].dataChangeEvent.entities),
          ),
        (list: { operation: string }[]) => list.some((entity) => entity.operation === 'Merge'),
        5000,
      );
      expect(events).toContainEqual(
        expect.objectContaining({
          name: 'Customer',
          id: survivor.Id,
          operation: 'Merge',
          deletedId: loser.Id,
        }),
      );
    } finally {
      await emulator.admin('DELETE', `/companies/${qbo.realmId}/webhook`);
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('drops a token response after rotating, and the superseded refresh token still works within its grace', async () => {
    const tokens = await emulator.admin('POST', `/companies/${qbo.realmId}/tokens`, {});
    await emulator.admin('PUT', '/oauth', {
      refreshTokenRotation: 'every-refresh',
      dropNextTokenResponses: 1,
    });
    const refresh = (refreshToken: string) =>
      fetch(`${emulator.url}/oauth2/v1/tokens/bearer`, {
        method: 'POST',
        headers: {
          Authorization: basic,
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/json',
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
      });
    const before = (await emulator.admin('GET', '/oauth/metrics')).json.refreshes;
    await expect(refresh(tokens.json.refresh_token)).rejects.toThrow();
    expect((await emulator.admin('GET', '/oauth/metrics')).json.refreshes).toBe(before + 1);
    const retried = await refresh(tokens.json.refresh_token);
    expect(retried.status).toBe(200);
    const body = (await retried.json()) as { refresh_token: string };
    expect(body.refresh_token).not.toBe(tokens.json.refresh_token);
    await emulator.admin('PUT', '/oauth', { refreshTokenRotation: 'daily' });
  });

  it('throttles per minute and batch calls per minute when the limits are tightened', async () => {
    const tight = await startTestEmulator({ limits: { perMinute: 5, batchPerMinute: 2 } });
    try {
      const realm = await tight.company();
      const statuses: number[] = [];
      for (let index = 0; index < 7; index += 1)
        statuses.push((await realm.read('CompanyInfo', realm.realmId)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const other = await tight.company({ companyName: 'Batcher' });
      const batch = () =>
        other.request('POST', '/batch', {
          body: { BatchItemRequest: [{ bId: 'q', Query: 'select * from Term' }] },
        });
      expect([(await batch()).status, (await batch()).status, (await batch()).status]).toEqual([
        200, 200, 429,
      ]);
      const traffic = await tight.admin('GET', `/companies/${realm.realmId}/traffic`);
      expect(traffic.json.traffic).toMatchObject({ requests: 5, throttled: 2, peakPerMinute: 5 });
    } finally {
      await tight.close();
    }
  });

  it('applies webhook delivery faults and formats set through the admin API', async () => {
    const bodies: string[] = [];
    const receiver: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/`;
    const realm = await emulator.company({ companyName: 'Hooks Faults' });
    try {
      await emulator.admin('PUT', `/companies/${realm.realmId}/webhook`, {
        url,
        verifierToken: 'v',
        format: 'cloudevents',
      });
      await emulator.admin('PUT', `/companies/${realm.realmId}/faults`, { webhooks: { duplicateRate: 1 } });
      const customer = await realm.create('Customer', { DisplayName: 'Twice Told' });
      await eventually(
        () => Promise.resolve(bodies.length),
        (count) => count >= 2,
        5000,
      );
      expect(bodies[0]).toBe(bodies[1]);
      expect(JSON.parse(bodies[0]!)).toEqual([
        expect.objectContaining({
          specversion: '1.0',
          type: 'qbo.customer.created.v1',
          intuitentityid: customer.Id,
          intuitaccountid: realm.realmId,
        }),
      ]);

      await emulator.admin('PUT', `/companies/${realm.realmId}/faults`, { webhooks: { dropRate: 1 } });
      await realm.create('Customer', { DisplayName: 'Never Told' });
      const log = await eventually(
        () => emulator.admin('GET', `/companies/${realm.realmId}/webhook/deliveries`),
        (response) => response.json.stats.dropped >= 1,
        5000,
      );
      expect(log.json.stats).toMatchObject({ dropped: 1, duplicated: 1 });
      expect(bodies).toHaveLength(2);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('resets to an empty emulator', async () => {
    const separate = await startTestEmulator();
    try {
      const realm = await separate.company();
      expect((await separate.admin('POST', '/reset')).status).toBe(204);
      expect((await separate.admin('GET', '/companies')).json.companies).toEqual([]);
      // Tokens are forgotten with the companies: a realmId handed out again never opens to an old token.
      expect((await realm.read('CompanyInfo', realm.realmId)).status).toBe(401);
    } finally {
      await separate.close();
    }
  });

  it('rejects bad admin input with a 400 naming the field', async () => {
    const bad = await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, { errorRates: { '503': 2 } });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: 'invalid_request', field: 'errorRates.503' });
    const unknown = await http('POST', `${emulator.url}/__admin/companies/000/seed`, {
      body: { customers: 1, transactions: 0 },
    });
    expect(unknown.status).toBe(404);
  });
});
