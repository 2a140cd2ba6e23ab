import { acquireLease, leaseModel } from '../../src/db/leases';
import { mongoMinuteCounter, qboBudgetModel } from '../../src/db/models/qbo-budget';
import { sweepExpired } from '../../src/db/retention';
import { recordSyncEvents, syncEventModel } from '../../src/history/sync-events';
import { inboxModel, storeDelivery } from '../../src/ingest/inbox';
import { outboundEventModel, recordEvents } from '../../src/outbound/events';
import { Schema } from 'mongoose';
import { eventually, openTestDatabase, type TestDatabase } from '../support/env';

const dayMs = 86_400_000;

/**
 * Collections that grow stop growing: records written long enough ago to be past their retention disappear, the
 * fresh ones stay, and a conflict waiting for a person stays however old it is. The suite's embedded server sweeps
 * TTL indexes every 2 s (MongoDB every 60 s); `sweepExpired` does the same where a server never expires anything.
 */
describe('retention', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('retention');
  });
  afterAll(() => db?.close());

  it('removes history, events, webhook deliveries, budget minutes and leases once past their retention', async () => {
    const conn = db.mongoose.connection;
    const now = new Date();
    const ago = (days: number) => new Date(now.getTime() - days * dayMs);
    await Promise.all([
      syncEventModel(conn).init(),
      outboundEventModel(conn).init(),
      inboxModel(conn).init(),
      qboBudgetModel(conn).init(),
      leaseModel(conn).init(),
    ]);

    await recordSyncEvents(
      conn,
      [
        { connectionId: 'c', crmContactId: 'new', kind: 'updated_qbo', at: ago(1) },
        // About a change long past but stored now (a replay): kept its full time from now.
        { connectionId: 'c', crmContactId: 'replayed', kind: 'updated_qbo', at: ago(100) },
        // Held for a person (policy `manual`): kept until someone decides it.
        {
          connectionId: 'c',
          crmContactId: 'waiting',
          kind: 'conflict',
          fields: ['phone'],
          detail: { applied: null },
          at: ago(400),
        },
      ],
      90,
    );
    await recordSyncEvents(
      conn,
      [{ connectionId: 'c', crmContactId: 'old', kind: 'updated_qbo', at: ago(100) }],
      90,
      ago(100),
    );
    const event = (key: string) => ({
      accountId: 'a',
      connectionId: 'c',
      type: 'contact.updated' as const,
      dedupeKey: key,
      data: {},
    });
    await recordEvents(conn, [event('old')], { hasEndpoint: false, now: ago(40), retentionDays: 30 });
    await recordEvents(conn, [event('new')], { hasEndpoint: false, now: ago(1), retentionDays: 30 });
    const delivery = (id: string) => ({
      realmId: 'r',
      eventId: id,
      entity: 'Customer',
      entityId: id,
      operation: 'Update' as const,
      occurredAt: now.toISOString(),
    });
    await storeDelivery(conn, [delivery('old')], [], ago(8), 7);
    await storeDelivery(conn, [delivery('new')], [], ago(1), 7);
    await mongoMinuteCounter(conn).increment('r', ago(2));
    await mongoMinuteCounter(conn).increment('r', new Date(now.getTime() - (now.getTime() % 60_000)));
    expect(await acquireLease(conn, 'old-lease', 'w', 1000, ago(1))).toBe(true);
    expect(await acquireLease(conn, 'new-lease', 'w', dayMs, now)).toBe(true);

    const left = async () => ({
      syncEvents: (await syncEventModel(conn).find({}, { crmContactId: 1 }).lean())
        .map((e) => e.crmContactId)
        .sort(),
      outbound: (await outboundEventModel(conn).find({}, { data: 1, createdAt: 1 }).lean()).length,
      inbox: (await inboxModel(conn).find({}, { entityId: 1 }).lean()).map((e) => e.entityId),
      budgetMinutes: await qboBudgetModel(conn).countDocuments({}),
      leases: (await leaseModel(conn).find({}, { _id: 1 }).lean()).map((lease) => lease._id),
    });
    const expected = {
      syncEvents: ['new', 'replayed', 'waiting'],
      outbound: 1,
      inbox: ['new'],
      budgetMinutes: 1,
      leases: ['new-lease'],
    };
    // Everything was stored first, old records included.
    expect(
      (await syncEventModel(conn).countDocuments({})) + (await outboundEventModel(conn).countDocuments({})),
    ).toBeGreaterThan(0);
    expect(
      await eventually(
        left,
        (found) => JSON.stringify(found) === JSON.stringify(expected),
        90_000,
        'expired records to go',
      ),
    ).toEqual(expected);
  }, 120_000);

  it('sweeps what has expired itself on a server that does not expire TTL indexes', async () => {
    const conn = db.mongoose.connection;
    // A plain index on expiresAt, no TTL: no server removes these; the sweep must.
    const schema = new Schema({ _id: String, expiresAt: Date }, { collection: 'swept', versionKey: false });
    schema.index({ expiresAt: 1 });
    const swept = conn.model('Swept', schema);
    await swept.init();
    const now = new Date();
    await swept.insertMany([
      { _id: 'gone', expiresAt: new Date(now.getTime() - 1000) },
      { _id: 'kept', expiresAt: new Date(now.getTime() + dayMs) },
    ]);
    const result = await sweepExpired(conn, now);
    expect(result.swept).toBe(1);
    expect((await swept.find({}).lean()).map((doc) => doc._id)).toEqual(['kept']);
  });
});
