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
