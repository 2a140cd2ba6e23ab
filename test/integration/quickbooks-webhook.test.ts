import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import pino from 'pino';
import { createApp } from '../../src/api/app';
import { createQuickBooksWebhookRouter } from '../../src/api/quickbooks-webhook';
import { connectMongo } from '../../src/db/connect';
import { deadLetterModel, inboxModel } from '../../src/ingest/inbox';
import type { EntityEvent } from '../../src/ingest/notifications';
import { eventually, openTestDatabase, type TestDatabase } from '../support/env';
import { startTestEmulator, type TestEmulator } from '../support/emulator';

const verifierToken = 'our-app-verifier-token';
const sign = (body: string, token = verifierToken): string =>
  createHmac('sha256', token).update(body).digest('base64');
const legacy = (id: string, operation = 'Update', lastUpdated = '2026-03-02T10:00:00.000Z') =>
  JSON.stringify({
    eventNotifications: [
      {
        realmId: 'realm-1',
        dataChangeEvent: { entities: [{ name: 'Customer', id, operation, lastUpdated }] },
      },
    ],
  });

describe('POST /v1/webhooks/quickbooks', () => {
  let db: TestDatabase;
  let server: Server;
  let url: string;
  const signalled: EntityEvent[] = [];

  beforeAll(async () => {
    db = await openTestDatabase('webhooks');
    const router = createQuickBooksWebhookRouter({
      verifierToken,
      db: () => Promise.resolve(db.mongoose.connection),
      log: pino({ level: 'silent' }),
      onStored: (events) => {
        signalled.push(...events);
        return Promise.resolve();
      },
      maxBodyBytes: 64 * 1024,
    });
    server = createApp({ readinessChecks: [], log: pino({ level: 'silent' }), routers: [router] }).listen(
      0,
      '127.0.0.1',
    );
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/webhooks/quickbooks`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await db.close();
  });

  const post = (body: string, headers: Record<string, string>) =>
    fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(5000),
    });
  const stored = () => inboxModel(db.mongoose.connection).countDocuments();

  it('rejects every bad signature with 401 and stores nothing', async () => {
    const body = legacy('sig');
    const reserialised = JSON.stringify(JSON.parse(body), null, 1);
    const flipped = body.replace('"sig"', '"sif"');
    const before = await stored();
    for (const [payload, headers] of [
      [body, {}],
      [body, { 'intuit-signature': '' }],
      [flipped, { 'intuit-signature': sign(body) }],
      [reserialised, { 'intuit-signature': sign(body) }],
      [body, { 'intuit-signature': sign(body, 'another-apps-token') }],
      [body, { 'intuit-signature': 'dG9vIHNob3J0' }],
    ] as const) {
      const response = await post(payload, headers);
      expect(response.status).toBe(401);
    }
    expect(await stored()).toBe(before);
    const accepted = await post(body, { 'Intuit-Signature': sign(body) });
    expect(accepted.status).toBe(200);
  });

  it('stores a delivery once however often and however concurrently it arrives', async () => {
    const body = legacy('dup');
    const headers = { 'intuit-signature': sign(body) };
    const before = await stored();
    const responses = await Promise.all([post(body, headers), post(body, headers), post(body, headers)]);
    responses.push(await post(body, headers), await post(body, headers));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await stored()).toBe(before + 1);
    expect(signalled.filter((event) => event.entityId === 'dup')).toHaveLength(1);
  });

  it('acknowledges and dead-letters what it cannot read, and stores the rest', async () => {
    const body = JSON.stringify([
      {
        specversion: '1.0',
        id: 'ce-1',
        type: 'qbo.invoice.created.v1',
        time: '2026-03-02T10:00:00Z',
        intuitentityid: '7',
        intuitaccountid: 'realm-2',
      },
      {
        specversion: '1.0',
        id: 'ce-2',
        type: 'qbo.invoice.exploded.v1',
        time: '2026-03-02T10:00:00Z',
        intuitentityid: '8',
        intuitaccountid: 'realm-2',
      },
    ]);
    const response = await post(body, {
      'intuit-signature': sign(body),
      'Content-Type': 'application/cloudevents+json',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: 1, new: 1, unreadable: 1 });
    expect(await inboxModel(db.mongoose.connection).findById('realm-2:ce-1').lean()).toMatchObject({
      entity: 'Invoice',
    });
    expect(await deadLetterModel(db.mongoose.connection).countDocuments({ reason: /exploded/ })).toBe(1);
  });

  it('answers 413 to an oversized delivery before storing anything', async () => {
    const body = JSON.stringify({
      eventNotifications: [
        { realmId: 'big', dataChangeEvent: { entities: [], padding: 'x'.repeat(70_000) } },
      ],
    });
    const response = await post(body, { 'intuit-signature': sign(body) });
    expect(response.status).toBe(413);
    expect(await inboxModel(db.mongoose.connection).countDocuments({ realmId: 'big' })).toBe(0);
  });

  it('answers 503, so Intuit retries, when the delivery cannot be stored', async () => {
    const broken = await connectMongo(db.uri, 1000);
    await broken.disconnect();
    const router = createQuickBooksWebhookRouter({
      verifierToken,
      db: () => Promise.resolve(broken.connection),
      log: pino({ level: 'silent' }),
    });
    const failing = createApp({
      readinessChecks: [],
      log: pino({ level: 'silent' }),
      routers: [router],
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => failing.once('listening', resolve));
    try {
      const body = legacy('lost');
      const response = await fetch(
        `http://127.0.0.1:${(failing.address() as { port: number }).port}/v1/webhooks/quickbooks`,
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'intuit-signature': sign(body) },
          body,
        },
      );
      expect(response.status).toBe(503);
    } finally {
      await new Promise((resolve) => failing.close(resolve));
    }
  });

  it('takes real deliveries from the QBO emulator, signed and retried as Intuit does', async () => {
    const emulator: TestEmulator = await startTestEmulator();
    try {
      const qbo = await emulator.company();
      await emulator.admin('PUT', `/companies/${qbo.realmId}/webhook`, {
        url,
        verifierToken,
        format: 'cloudevents',
      });
      await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, { webhooks: { duplicateRate: 1 } });
      const customer = await qbo.create('Customer', { DisplayName: 'Webhook Walkthrough' });
      const events = await eventually(
        () => inboxModel(db.mongoose.connection).find({ realmId: qbo.realmId }).lean(),
        (found) => found.length >= 1,
        5000,
      );
      expect(events).toEqual([
        expect.objectContaining({ entity: 'Customer', entityId: customer.Id, operation: 'Create' }),
      ]);
      const deliveries = await eventually(
        () => emulator.admin('GET', `/companies/${qbo.realmId}/webhook/deliveries`),
        (response) => response.json.stats.duplicated === 1,
        5000,
      );
      expect(deliveries.json.stats.delivered).toBe(1);
      expect(await inboxModel(db.mongoose.connection).countDocuments({ realmId: qbo.realmId })).toBe(1);
    } finally {
      await emulator.close();
    }
  });
});
