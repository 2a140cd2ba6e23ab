import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { eventually } from '../support/env';
import { startTestEmulator, type QboClient, type TestEmulator } from '../support/emulator';

interface Received {
  body: string;
  signature: string;
}

describe('emulator conformance: webhooks on API and QBO-user changes', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;
  let receiver: Server;
  const received: Received[] = [];
  const verifierToken = 'verifier-token-for-tests';

  beforeAll(async () => {
    emulator = await startTestEmulator();
    qbo = await emulator.company();
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({
          body: Buffer.concat(chunks).toString('utf8'),
          signature: String(req.headers['intuit-signature']),
        });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const subscribed = await emulator.admin('PUT', `/companies/${qbo.realmId}/webhook`, {
      url: `http://127.0.0.1:${port}/webhooks`,
      verifierToken,
    });
    expect(subscribed.status).toBe(200);
  });

  afterAll(async () => {
    await emulator.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  const entities = () =>
    received.flatMap((delivery) =>
      (
        JSON.parse(delivery.body) as {
          eventNotifications: {
            realmId: string;
            dataChangeEvent: { entities: { name: string; id: string; operation: string }[] };
          }[];
        }
      ).eventNotifications.flatMap((notification) =>
        notification.dataChangeEvent.entities.map((entity) => ({ realmId: notification.realmId, ...entity })),
      ),
    );

  it('notifies every committed change, signed with the verifier token', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Hooked Inc' });
    const invoice = await qbo.create('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [
        { DetailType: 'SalesItemLineDetail', Amount: 80, SalesItemLineDetail: { ItemRef: { value: '2' } } },
      ],
    });
    await qbo.create('Payment', {
      CustomerRef: { value: customer.Id },
      TotalAmt: 80,
      Line: [{ Amount: 80, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
    });
    // A refused write publishes nothing.
    await qbo.write('Customer', { DisplayName: 'Hooked Inc' });

    await eventually(
      () => Promise.resolve(entities()),
      (list) => list.length >= 4,
      5000,
    );
    expect(entities()).toEqual([
      {
        realmId: qbo.realmId,
        name: 'Customer',
        id: customer.Id,
        operation: 'Create',
        lastUpdated: expect.any(String),
      },
      {
        realmId: qbo.realmId,
        name: 'Invoice',
        id: invoice.Id,
        operation: 'Create',
        lastUpdated: expect.any(String),
      },
      {
        realmId: qbo.realmId,
        name: 'Payment',
        id: expect.any(String),
        operation: 'Create',
        lastUpdated: expect.any(String),
      },
      {
        realmId: qbo.realmId,
        name: 'Invoice',
        id: invoice.Id,
        operation: 'Update',
        lastUpdated: expect.any(String),
      },
    ]);
    for (const delivery of received) {
      const expected = createHmac('sha256', verifierToken).update(delivery.body).digest();
      expect(timingSafeEqual(Buffer.from(delivery.signature, 'base64'), expected)).toBe(true);
    }
  });

  it('notifies edits made as a QBO user through the admin API, without a SyncToken', async () => {
    const customer = await qbo.create('Customer', { DisplayName: 'Edited In QBO' });
    const edited = await emulator.admin('POST', `/companies/${qbo.realmId}/entities/customer`, {
      entity: { Id: customer.Id, PrimaryEmailAddr: { Address: 'new@example.com' } },
    });
    expect(edited.status).toBe(200);
    expect(edited.json.Customer).toMatchObject({
      SyncToken: '1',
      PrimaryEmailAddr: { Address: 'new@example.com' },
      DisplayName: 'Edited In QBO',
    });
    await eventually(
      () => Promise.resolve(entities()),
      (list) => list.some((entity) => entity.id === customer.Id && entity.operation === 'Update'),
      5000,
    );
    const stale = await qbo.write('Customer', {
      Id: customer.Id,
      SyncToken: '0',
      sparse: true,
      Notes: 'API edit',
    });
    expect(stale.json.Fault.Error[0].code).toBe('5010');
  });
});
