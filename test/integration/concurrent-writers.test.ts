import type { Connection } from 'mongoose';
import { createAccount, issueApiKey, authenticateKey, revokeApiKey } from '../../src/accounts/keys';
import { apiKeyModel } from '../../src/accounts/models';
import { contactKey } from '../../src/contacts/model';
import {
  inContactTurn,
  newLink,
  linkContact,
  recordOutcome,
  storeCrmVersion,
  updateLink,
} from '../../src/contacts/store';
import { contactModel } from '../../src/contacts/model';
import { connectMongo } from '../../src/db/connect';
import { connectionModel } from '../../src/db/models/connection';
import { toSyncFields } from '../../src/sync/fields';
import { applyRecords, type ProjectionContext } from '../../src/projections/apply';
import { qboTransactionModel } from '../../src/projections/models';
import { contactOf } from '../support/contacts';
import { openTestDatabase, type TestDatabase } from '../support/env';

/**
 * The places where two processes write one document (docs/architecture.md, "Who writes what"), each raced by writers
 * with connections of their own, as the API and the worker are. Every writer's change must land.
 */
describe('concurrent writers of one document', () => {
  let db: TestDatabase;
  /** Ten connections: five stand in for API processes, five for workers. */
  let processes: Connection[];
  let mongooses: Awaited<ReturnType<typeof connectMongo>>[];

  beforeAll(async () => {
    db = await openTestDatabase('writers');
    mongooses = await Promise.all(Array.from({ length: 10 }, () => connectMongo(db.uri, 10_000)));
    processes = mongooses.map((instance) => instance.connection);
  });
  afterAll(async () => {
    await Promise.all(mongooses.map((instance) => instance.disconnect()));
    await db.close();
  });

  it('keeps the newest version of each QBO record when ten processes apply pages of new records at once', async () => {
    // Every process applies the same 200 new invoices, each at its own SyncToken: all but one of them find a record
    // another process inserted since they read (or, inserting without a read, find it held), and must fall back to
    // the guarded upsert, never lose a newer version.
    const context = (connection: Connection): ProjectionContext => ({
      db: connection,
      connectionId: 'conn-racing',
      environment: 'sandbox',
      homeCurrency: 'USD',
      today: '2026-12-07',
      now: new Date('2026-12-07T12:00:00Z'),
    });
    const invoice = (id: number, syncToken: number) => ({
      Id: String(id),
      SyncToken: String(syncToken),
      TxnDate: '2026-12-01',
      TotalAmt: 100 + syncToken,
      Balance: 100 + syncToken,
      CustomerRef: { value: '1' },
      MetaData: { LastUpdatedTime: '2026-12-07T11:00:00-08:00' },
    });
    const ids = Array.from({ length: 200 }, (_, index) => index + 1);
    const results = await Promise.all(
      processes.map((connection, token) =>
        applyRecords(
          context(connection),
          'Invoice',
          ids.map((id) => invoice(id, token)),
          // Half of them as a backfill writes, inserting without reading first.
          { expectNew: token % 2 === 0 },
        ),
      ),
    );
    const stored = await qboTransactionModel(db.mongoose.connection)
      .find({ connectionId: 'conn-racing' }, { syncToken: 1, 'view.total': 1 })
      .lean();
    expect(stored).toHaveLength(200);
    expect(new Set(stored.map((record) => record.syncToken))).toEqual(new Set([9]));
    expect(new Set(stored.map((record) => (record.view as { total: number }).total))).toEqual(new Set([109]));
    // The newest version was applied by its process for every record; each record was created exactly once.
    expect(results[9]!.applied).toBe(200);
    const created = results.flatMap((result) => result.changed.filter((change) => change.created));
    expect(created).toHaveLength(200);
    expect(new Set(created.map((change) => change.record.Id)).size).toBe(created.length);
  });

  it('keeps a key revoked while requests using it record its last use', async () => {
    const account = await createAccount(processes[0]!, 'Racing CRM');
    const issued = await issueApiKey(processes[0]!, account._id, 'busy');
    const start = Date.now();
    // Every request records its time (a minute apart, so each one writes lastUsedAt), while an admin revokes the key.
    const uses = processes.slice(1).map((connection, worker) =>
      (async () => {
        for (let call = 1; call <= 20; call += 1)
          await authenticateKey(connection, issued.key, new Date(start + (worker * 20 + call) * 61_000));
      })(),
    );
    await new Promise((resolve) => setImmediate(resolve));
    const revoked = await revokeApiKey(processes[0]!, account._id, issued.id, new Date(start));
    await Promise.all(uses);
    expect(revoked).toBe(true);
    const stored = await apiKeyModel(db.mongoose.connection).findById(issued.id).lean();
    expect(stored?.revokedAt).toEqual(new Date(start));
    expect(
      await authenticateKey(db.mongoose.connection, issued.key, new Date(start + 10_000_000)),
    ).toBeNull();
  });

  it('keeps settings changed while the engine records a backfill’s progress', async () => {
    const connections = connectionModel(db.mongoose.connection);
    await connections.create({
      _id: 'conn_race',
      accountId: 'acct_race',
      realmId: 'realm-race',
      environment: 'sandbox',
      status: 'active',
    });
    const progress = processes.slice(5).map((connection, worker) =>
      (async () => {
        for (let page = 1; page <= 30; page += 1)
          await connectionModel(connection).updateOne(
            { _id: 'conn_race' },
            { $set: { 'backfill.status': 'running', [`backfill.counts.Entity${worker}`]: page * 100 } },
          );
      })(),
    );
    const settings = processes.slice(0, 5).map((connection, api) =>
      (async () => {
        for (let change = 1; change <= 30; change += 1)
          await connectionModel(connection).updateOne(
            { _id: 'conn_race' },
            { $set: { [`settings.mappingPolicy.field${api}`]: change % 2 ? 'both' : 'none' } },
          );
      })(),
    );
    await Promise.all([...progress, ...settings]);
    const stored = await connections.findById('conn_race').lean();
    expect(stored?.backfill?.counts).toEqual(
      Object.fromEntries(Array.from({ length: 5 }, (_, worker) => [`Entity${worker}`, 3000])),
    );
    expect(stored?.settings.mappingPolicy).toEqual(
      Object.fromEntries(Array.from({ length: 5 }, (_, api) => [`field${api}`, 'none'])),
    );
  });

  it('lands both the CRM’s new versions of a contact and the engine’s outcomes and merge base, written at once', async () => {
    const at = new Date('2026-03-01T10:00:00Z');
    const version = (n: number) => ({
      fields: toSyncFields({ displayName: 'Ann Lee', phone: `555-01${String(n).padStart(2, '0')}` }),
      updatedAt: new Date(at.getTime() + n * 1000).toISOString(),
    });
    const first = await storeCrmVersion(db.mongoose.connection, 'conn_c', 'ann', version(0), at, 5000);
    expect(await linkContact(db.mongoose.connection, first.record, newLink('7', 'email', at))).toBe(true);
    const key = contactKey('conn_c', 'ann');
    // The API stores twenty versions while the engine settles twenty merges of one version it read, field by field.
    const puts = (async () => {
      for (let n = 1; n <= 20; n += 1)
        await storeCrmVersion(
          processes[n % 5]!,
          'conn_c',
          'ann',
          version(n),
          new Date(at.getTime() + n * 1000),
          5000,
        );
    })();
    const merges = (async () => {
      for (let n = 1; n <= 20; n += 1) {
        const worker = processes[5 + (n % 5)]!;
        await updateLink(worker, { _id: key, connectionId: 'conn_c' }, '7', {
          base: { [`notes`]: { value: `note ${n}`, at, from: 'qbo', agreedAt: at } },
          qboSyncToken: String(n),
        });
        await recordOutcome(worker, { _id: key }, 1, { fromQbo: { website: `https://${n}.example` }, at });
      }
    })();
    await Promise.all([puts, merges]);
    const stored = await contactOf(db.mongoose.connection, 'conn_c', 'ann');
    expect(stored?.crm.version).toBe(21);
    expect(stored?.crm.fields).toMatchObject({ phone: '555-0120' });
    expect(stored?.link).toMatchObject({
      qboCustomerId: '7',
      qboSyncToken: '20',
      base: { notes: { value: 'note 20' } },
    });
    // The outcome was about version 1: a newer version makes it moot, and nothing else of the contact was lost.
    expect(stored?.state).toBe('pending');
  });

  it('gives a contact’s merges turns: pushes and pulls from ten processes never overlap, and a dead holder’s turn lapses', async () => {
    const contactId = contactKey('conn_turns', 'turns-1');
    await storeCrmVersion(
      db.mongoose.connection,
      'conn_turns',
      'turns-1',
      { fields: toSyncFields({ displayName: 'Turn Taker' }), updatedAt: new Date().toISOString() },
      new Date(),
      5000,
    );
    let inside = 0;
    let mostInside = 0;
    let merges = 0;
    await Promise.all(
      processes.flatMap((connection) =>
        [1, 2, 3].map(() =>
          inContactTurn(connection, contactId, async () => {
            inside += 1;
            mostInside = Math.max(mostInside, inside);
            // A merge's own database round trip, during which another merge would interleave.
            await contactModel(connection).findById(contactId).lean();
            inside -= 1;
            merges += 1;
          }),
        ),
      ),
    );
    expect({ merges, mostInside }).toEqual({ merges: 30, mostInside: 1 });
    expect((await contactModel(db.mongoose.connection).findById(contactId).lean())?.turn).toBeUndefined();

    // A holder that died mid-merge left its turn; once it lapses, the next merge takes it.
    await contactModel(db.mongoose.connection).updateOne(
      { _id: contactId },
      { $set: { turn: { holder: 'dead', until: new Date(Date.now() + 300) } } },
    );
    const started = Date.now();
    const waited = await inContactTurn(processes[0]!, contactId, () => Promise.resolve(Date.now() - started));
    expect(waited).toBeGreaterThanOrEqual(250);
  });
});
