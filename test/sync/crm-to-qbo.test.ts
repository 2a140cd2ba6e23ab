import { deleteContact, readContact, storeContact } from '../../src/contacts/service';
import { connectionModel } from '../../src/db/models/connection';
import { syncEventModel } from '../../src/history/sync-events';
import { linkOf as storedLink } from '../support/contacts';
import { toSyncFields, type SyncFields } from '../../src/sync/fields';
import { contactsChangedSignal, statusQuery } from '../../src/workflows/connection-messages';
import type { QboClient, TestEmulator } from '../support/emulator';
import { eventually, type TestDatabase } from '../support/env';
import { startSyncHarness, type SyncHarness } from '../support/sync-harness';

describe('CRM → QBO: contacts written to QBO, merged field by field, never twice', () => {
  let harness: SyncHarness;
  let emulator: TestEmulator;
  let db: TestDatabase;
  let qbo: QboClient;
  let connectionId: string;

  beforeAll(async () => {
    harness = await startSyncHarness({
      pollIntervalSeconds: 3600,
      // A backfill projects the existing customer, so setup matching can find it.
      backfill: true,
      beforeStart: async (client, qboEmulator) => {
        // Last changed in QBO an hour ago: the CRM's edit at the first link is clearly the more recent.
        qboEmulator.clock.set(new Date(Date.now() - 3_600_000));
        await client.create('Customer', {
          DisplayName: 'Existing Person',
          PrimaryEmailAddr: { Address: 'existing@example.com' },
        });
        qboEmulator.clock.set(new Date());
      },
    });
    ({ emulator, db, qbo, connectionId } = harness);
    await eventually(
      () => db.mongoose.connection.db!.collection('connections').findOne({ _id: connectionId as never }),
      (connection) => (connection as { backfill?: { status?: string } } | null)?.backfill?.status === 'done',
      20_000,
    );
    // The poll that follows the backfill is the last for an hour: from here on, only a push reads QBO, and a test
    // that hides a QBO edit from us (its webhook dropped) can count on the push being the first to see it.
    await eventually(
      () => harness.workflow().query(statusQuery),
      (status) => status.totals.polls >= 1,
      20_000,
      'the first poll after the backfill',
    );
  });
  afterAll(() => harness?.close());

  const connection = async () =>
    (await connectionModel(db.mongoose.connection).findById(connectionId).lean())!;
  // As the API stores a CRM's PUT, then signals the workflow.
  async function putContact(
    crmContactId: string,
    fields: Partial<SyncFields>,
    updatedAt = new Date().toISOString(),
  ): Promise<void> {
    await storeContact(
      db.mongoose.connection,
      await connection(),
      crmContactId,
      { fields: toSyncFields(fields), updatedAt },
      new Date(),
    );
    await harness.workflow().signal(contactsChangedSignal, { crmContactIds: [crmContactId] });
  }
  const linkOf = (crmContactId: string) => storedLink(db.mongoose.connection, connectionId, crmContactId);
  const customerNamed = async (name: string) =>
    (await qbo.query(`select * from Customer where DisplayName = '${name}'`)).json.QueryResponse.Customer ??
    [];
  const requests = async () =>
    (await emulator.admin('GET', `/companies/${qbo.realmId}/requests?limit=2000`)).json.requests as {
      method: string;
      path: string;
      query: Record<string, string>;
      body: Record<string, unknown>;
      status: number;
    }[];
  /** Each test's contact of its own, PUT and pushed: linked to its QBO customer, with the sync's snapshot. */
  async function syncedContact(crmContactId: string, fields: Partial<SyncFields>) {
    await putContact(crmContactId, fields);
    return (await eventually(
      () => linkOf(crmContactId),
      (found) => Boolean(found?.syncedAt),
      15_000,
      `${crmContactId} linked and synced`,
    ))!;
  }

  it('creates a new contact in QBO on its PUT, once, with a requestid', async () => {
    await putContact('c-new', {
      displayName: "Dana O'Neil",
      givenName: 'Dana',
      familyName: "O'Neil",
      email: 'dana@example.com',
      phone: '555-0100',
    });
    // Polls are an hour apart here: the PUT itself drove the push. How fast is `npm run bench -- freshness`'s job.
    const link = await eventually(() => linkOf('c-new'), Boolean, 15_000);
    expect(link).toBeTruthy();
    const [customer] = await customerNamed("Dana O\\'Neil");
    expect(customer).toMatchObject({
      Id: link!.qboCustomerId,
      PrimaryEmailAddr: { Address: 'dana@example.com' },
      PrimaryPhone: { FreeFormNumber: '555-0100' },
    });
    const creates = (await requests()).filter(
      (request) =>
        request.method === 'POST' &&
        request.path === '/customer' &&
        !request.body.Id &&
        request.body.DisplayName === "Dana O'Neil",
    );
    expect(creates).toHaveLength(1);
    expect(creates[0]!.query.requestid).toMatch(/^[\w-]{36}$/);
  });

  it('links a contact to the existing QBO customer with its email instead of creating a copy', async () => {
    const before = (await requests()).length;
    const link = await syncedContact('c-existing', {
      displayName: 'Existing P.',
      email: 'EXISTING@example.com',
      mobile: '555-0199',
    });
    expect(link.linkedBy).toBe('email');
    expect(link.qboSyncToken).toEqual(expect.any(String));
    // First link, no snapshot yet: the more recent side (the CRM, just edited) wins each field that differs.
    const withEmail = (
      await qbo.query("select * from Customer where PrimaryEmailAddr = 'existing@example.com'")
    ).json.QueryResponse.Customer;
    expect(withEmail).toHaveLength(1);
    expect(withEmail[0]).toMatchObject({
      Id: link.qboCustomerId,
      DisplayName: 'Existing P.',
      Mobile: { FreeFormNumber: '555-0199' },
    });
    // The link is made and synced, so a create would have been sent by now.
    const creates = (await requests())
      .slice(before)
      .filter((request) => request.method === 'POST' && request.path === '/customer' && !request.body.Id);
    expect(creates).toEqual([]);
  });

  it('keeps both sides when they change different fields, and lets QBO win a field both changed', async () => {
    const both = { displayName: 'Both Sides', email: 'both@example.com', phone: '555-0100' };
    const link = await syncedContact('c-both', both);
    const [before] = await customerNamed('Both Sides');
    // Meanwhile in QBO: a bookkeeper changes the notes and the phone.
    await emulator.admin('POST', `/companies/${qbo.realmId}/entities/customer`, {
      entity: {
        Id: link.qboCustomerId,
        Notes: 'Prefers invoices by post',
        PrimaryPhone: { FreeFormNumber: '555-QBO' },
      },
    });
    // And in the CRM: the email and the phone.
    await putContact('c-both', { ...both, email: 'both@new.example.com', phone: '555-CRM' });
    const after = await eventually(
      async () => (await customerNamed('Both Sides'))[0],
      (customer) => customer?.PrimaryEmailAddr?.Address === 'both@new.example.com',
      5000,
    );
    expect(after).toMatchObject({
      Notes: 'Prefers invoices by post',
      PrimaryPhone: { FreeFormNumber: '555-QBO' },
    });
    expect(Number(after.SyncToken)).toBe(Number(before.SyncToken) + 2);
    // Sync events are written after QBO answers, so they may trail the write by a moment.
    const conflicts = await eventually(
      () =>
        syncEventModel(db.mongoose.connection)
          .find({ connectionId, kind: 'conflict', crmContactId: 'c-both' })
          .lean(),
      (found) => found.length > 0,
      5000,
    );
    expect(conflicts).toEqual([
      expect.objectContaining({
        fields: ['phone'],
        detail: expect.objectContaining({ qboValue: '555-QBO', crmValue: '555-CRM', applied: 'qbo' }),
      }),
    ]);
    const updates = (await requests()).filter(
      (request) => request.method === 'POST' && request.path === '/customer' && request.body.Id,
    );
    expect(updates.every((request) => request.body.sparse === true)).toBe(true);
  });

  it('refuses data QBO would reject, naming the field, and writes nothing', async () => {
    const before = (await requests()).length;
    await putContact('c-bad', { displayName: 'Bad: Name', email: 'not-an-email' });
    const rejected = await eventually(
      () =>
        syncEventModel(db.mongoose.connection)
          .findOne({ connectionId, crmContactId: 'c-bad', kind: 'rejected' })
          .lean(),
      Boolean,
      5000,
    );
    expect(rejected?.fields).toEqual(expect.arrayContaining(['displayName', 'email']));
    const writes = (await requests()).slice(before).filter((request) => request.method === 'POST');
    expect(writes).toEqual([]);
  });

  it('moves the link to the surviving customer when QBO merges the contact’s customer away', async () => {
    const before = await syncedContact('c-merge', {
      displayName: 'Merge Me Ltd',
      email: 'merge@example.com',
    });
    const survivor = await qbo.create('Customer', { DisplayName: 'Survivor Ltd' });
    const merged = await emulator.admin('POST', `/companies/${qbo.realmId}/merge-customers`, {
      fromId: before.qboCustomerId,
      intoId: survivor.Id,
    });
    expect(merged.status).toBe(200);
    const after = await eventually(
      () => linkOf('c-merge'),
      (found) => found?.qboCustomerId === survivor.Id,
      10_000,
    );
    expect(after?.qboCustomerId).toBe(survivor.Id);
    const gone = await eventually(
      () =>
        db.mongoose.connection
          .db!.collection('qbo_customers')
          .findOne({ _id: `${connectionId}:Customer:${before.qboCustomerId}` as never }),
      (found) => (found as { mergedInto?: string } | null)?.mergedInto === survivor.Id,
      10_000,
    );
    expect(gone).toMatchObject({ active: false, mergedInto: survivor.Id });
    // The relink event is written after the link moves, so it may trail the link by a moment.
    const relinked = await eventually(
      () =>
        syncEventModel(db.mongoose.connection)
          .findOne({ connectionId, crmContactId: 'c-merge', kind: 'relinked' })
          .lean(),
      Boolean,
      5000,
    );
    expect(relinked?.qboCustomerId).toBe(survivor.Id);
  });

  it('writes against the version it holds, and re-reads and re-merges when QBO has moved on (5010)', async () => {
    const stale = { displayName: 'Stale Version', email: 'stale@example.com' };
    const link = await syncedContact('c-stale', stale);
    // A bookkeeper saves the customer and its webhook is lost: the version we hold is now stale.
    await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, { webhooks: { dropRate: 1 } });
    try {
      await emulator.admin('POST', `/companies/${qbo.realmId}/entities/customer`, {
        entity: { Id: link.qboCustomerId, Notes: 'edited while we were writing' },
      });
      await putContact('c-stale', { ...stale, website: 'https://stale.example.com' });
      const after = await eventually(
        async () => (await customerNamed('Stale Version'))[0],
        (customer) => customer?.WebAddr?.URI === 'https://stale.example.com',
        15_000,
      );
      // The bookkeeper's edit survives our write.
      expect(after.Notes).toBe('edited while we were writing');
    } finally {
      await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, {});
    }
    const writes = (await requests()).filter(
      (request) =>
        request.method === 'POST' && request.path === '/customer' && request.body.Id === link.qboCustomerId,
    );
    // First the write against the held version, refused as stale; then, after a read, the one that lands.
    expect(writes.map((request) => request.status).slice(-2)).toEqual([400, 200]);
  });

  // The push writes what it learnt from QBO into the contact. A CRM edit stored while the push was talking to QBO
  // is newer than what the push read: neither the edit nor QBO's change may be lost to that write.
  it("keeps a CRM edit that lands while a push is writing QBO's changes into the contact", async () => {
    const race = {
      displayName: 'Race Person',
      email: 'race@example.com',
      phone: '555-0001',
    };
    const link = await syncedContact('c-race', race);
    const realmFaults = (faults: Record<string, unknown>) =>
      emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, faults);
    // A bookkeeper's edit whose webhook is lost: the push is the first to see it, and takes it to the contact.
    await realmFaults({ webhooks: { dropRate: 1 } });
    try {
      await emulator.admin('POST', `/companies/${qbo.realmId}/entities/customer`, {
        entity: { Id: link.qboCustomerId, Notes: 'Bookkeeper note' },
      });
      // A slow QBO keeps the push busy for seconds (stale write, read, write), long after it read the contact.
      await realmFaults({ webhooks: { dropRate: 1 }, latencyMs: 800 });
      const sent = (await requests()).length;
      await putContact('c-race', { ...race, phone: '555-0002' });
      // QBO has refused the push's first write as stale: the push read the contact before it, and now reads and
      // writes again, a slow second each. The next CRM edit lands in the middle of that.
      await eventually(
        async () => (await requests()).slice(sent),
        (seen) =>
          seen.some(
            (request) =>
              request.method === 'POST' && request.body.Id === link.qboCustomerId && request.status === 400,
          ),
        15_000,
        "QBO's refusal of the push's stale write",
      );
      await putContact('c-race', { ...race, phone: '555-0003' });
      const customer = await eventually(
        async () => (await customerNamed('Race Person'))[0],
        (found) => found?.PrimaryPhone?.FreeFormNumber === '555-0003',
        20_000,
      );
      expect(customer).toMatchObject({
        Notes: 'Bookkeeper note',
        PrimaryPhone: { FreeFormNumber: '555-0003' },
      });
    } finally {
      await realmFaults({});
    }
    const view = await eventually(
      async () => readContact(db.mongoose.connection, await connection(), 'c-race'),
      (found) => found?.sync.state === 'synced',
      10_000,
    );
    expect(view?.fields).toMatchObject({ phone: '555-0003', notes: 'Bookkeeper note' });
  });

  // Our write commits but its answer is lost, and the CRM edits the same field again before the retry. The retry
  // writes the newer value against the version we hold, which QBO has moved past with our lost write, and that
  // answer (a 5010) is lost too. The next retry finds QBO holding the first value: still ours, not a bookkeeper's,
  // so the CRM's newer edit is written and no conflict is recorded.
  it('writes the CRM’s newer edit when QBO committed our previous write but its answer was lost', async () => {
    const lost = { displayName: 'Lost Answer Person', email: 'lost@example.com', phone: '555-0100' };
    await syncedContact('c-lost', lost);
    await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, { dropResponsesAfterCommit: 2 });
    // Settled either way: the newer edit reached QBO, or QBO's (our older) value won a conflict.
    const outcome = async () => ({
      crm: (await readContact(db.mongoose.connection, await connection(), 'c-lost'))?.fields.phone,
      qbo: (await customerNamed('Lost Answer Person'))[0]?.PrimaryPhone?.FreeFormNumber,
      conflicts: (
        await syncEventModel(db.mongoose.connection)
          .find({ connectionId, crmContactId: 'c-lost', kind: 'conflict' })
          .lean()
      ).map((conflict) => conflict.detail),
    });
    let settled: Awaited<ReturnType<typeof outcome>> | undefined;
    try {
      await putContact('c-lost', { ...lost, phone: '555-0101' });
      // QBO has the write and its answer is gone; the push is retried in a moment. The CRM edits again meanwhile.
      await eventually(
        async () => (await customerNamed('Lost Answer Person'))[0],
        (customer) => customer?.PrimaryPhone?.FreeFormNumber === '555-0101',
        10_000,
      );
      await putContact('c-lost', { ...lost, phone: '555-0102' });
      settled = await eventually(
        outcome,
        (found) => found.conflicts.length > 0 || (found.crm === '555-0102' && found.qbo === '555-0102'),
        20_000,
      );
      // Both armed answers were lost on the way: the scenario above is the one that ran.
      expect(emulator.state.realmFaults(qbo.realmId).dropResponsesAfterCommit).toBe(0);
    } finally {
      await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, {});
    }
    expect(settled).toEqual({ crm: '555-0102', qbo: '555-0102', conflicts: [] });
  });

  it('leaves the QBO customer alone when the CRM deletes a contact, and revives the link on a new PUT', async () => {
    const link = await syncedContact('c-gone', { displayName: 'Gone Soon', email: 'gone@example.com' });
    await deleteContact(db.mongoose.connection, await connection(), 'c-gone', new Date());
    await harness.workflow().signal(contactsChangedSignal, { crmContactIds: ['c-gone'] });
    const tombstoned = await eventually(
      () => linkOf('c-gone'),
      (found) => Boolean(found?.deletedAt),
      5000,
    );
    expect(tombstoned?.qboCustomerId).toBe(link.qboCustomerId);
    const [customer] = await customerNamed('Gone Soon');
    expect(customer.Active).toBe(true);
    expect(
      await eventually(
        () =>
          syncEventModel(db.mongoose.connection).countDocuments({
            connectionId,
            crmContactId: 'c-gone',
            kind: 'contact_deleted',
          }),
        (count) => count > 0,
        5000,
      ),
    ).toBe(1);

    await putContact('c-gone', { displayName: 'Gone Soon', email: 'back@example.com' });
    const revived = await eventually(
      () => linkOf('c-gone'),
      (found) => found !== null && !found.deletedAt,
      5000,
    );
    expect(revived?.qboCustomerId).toBe(link.qboCustomerId);
    const customers = await eventually(
      () => customerNamed('Gone Soon'),
      (found) => found[0]?.PrimaryEmailAddr?.Address === 'back@example.com',
      5000,
    );
    expect(customers).toEqual([expect.objectContaining({ Id: link.qboCustomerId, Active: true })]);
  });
});
