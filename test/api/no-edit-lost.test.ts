import { createHash } from 'node:crypto';
import { applyRecords } from '../../src/projections/apply';
import { approveConsent } from '../../src/stack/demo';
import { startApiHarness, type ApiHarness, type TestAccount } from '../support/api-harness';
import type { QboClient } from '../support/emulator';
import { eventually } from '../support/env';

const minute = 60_000;

/**
 * "Nothing a person typed is silently thrown away", through the public API: each way an edit was seen lost, on the
 * real API, worker, Temporal, database and emulator. Intuit's webhooks are off in most of these so that each side's
 * change is made before the sync sees the other's, as two people editing at once would; `POST /sync` brings QBO's.
 */
describe('no edit is ever lost', () => {
  let harness: ApiHarness;
  let connection: { id: string; realmId: string };
  let qbo: QboClient;

  beforeAll(async () => {
    harness = await startApiHarness();
    connection = await harness.connect(harness.account);
    qbo = await harness.qboFor(connection.realmId);
    const settings = await harness.request('PATCH', `/v1/connections/${connection.id}`, {
      body: { pollIntervalSeconds: 3600, activePollIntervalSeconds: 3600 },
    });
    expect(settings.status).toBe(200);
  });
  afterAll(() => harness?.close());

  const webhooks = (dropRate: number) =>
    harness.emulator.admin('PUT', `/companies/${connection.realmId}/faults`, { webhooks: { dropRate } });
  const contact = async (id: string, key?: string) => {
    const response = await harness.request('GET', `/v1/contacts/${id}`, key ? { key } : {});
    expect(response.status).toBe(200);
    return response.json;
  };
  const put = async (id: string, fields: Record<string, string>, updatedAt: Date, key?: string) => {
    const response = await harness.request('PUT', `/v1/contacts/${id}`, {
      body: { updatedAt: updatedAt.toISOString(), fields },
      ...(key ? { key } : {}),
    });
    if (response.status !== 202)
      throw new Error(`PUT ${id} answered ${response.status}: ${JSON.stringify(response.json)}`);
    return response.json;
  };
  /** Waits until the contact is linked and the sync has written what it holds. */
  const synced = (id: string, accept: (contact: any) => boolean = () => true, key?: string) =>
    eventually(
      () => contact(id, key),
      (found) => found.sync.state === 'synced' && found.quickbooks !== null && accept(found),
      15_000,
      `${id} synced`,
    );
  const customer = async (id: string) => (await qbo.read('Customer', id)).json.Customer;
  /** An edit in QBO made at `at` (QBO stamps it with its clock, which is set there for the write). */
  async function editInQbo(id: string, changes: Record<string, unknown>, at = new Date()): Promise<void> {
    const current = await customer(id);
    harness.emulator.clock.set(at);
    try {
      const written = await qbo.write('Customer', {
        Id: id,
        SyncToken: current.SyncToken,
        sparse: true,
        ...changes,
      });
      expect(written.status).toBe(200);
    } finally {
      harness.emulator.clock.set(new Date());
    }
  }
  const pollNow = async () => {
    const before = Date.now();
    expect((await harness.request('POST', `/v1/connections/${connection.id}/sync`)).status).toBe(202);
    await eventually(
      async () => (await harness.request('GET', `/v1/connections/${connection.id}`)).json.lastPolledAt,
      (polledAt: string | null) => polledAt !== null && Date.parse(polledAt) >= before,
      15_000,
      'a poll after the request',
    );
  };
  const conflictsOf = async (crmContactId: string) =>
    (
      await harness.request('GET', `/v1/sync-events?connectionId=${connection.id}&kind=conflict&limit=100`)
    ).json.data.filter((event: { crmContactId: string }) => event.crmContactId === crmContactId);

  it('keeps the CRM’s edit at 10:05 over a QBO edit of the same field at 10:01, and records both', async () => {
    const linked = await synced(
      (
        await put(
          'newer-crm',
          { displayName: 'Ada Newer', email: 'ada@old.example' },
          new Date(Date.now() - 10 * minute),
        )
      ).crmContactId,
    );
    const qboId = linked.quickbooks.customerId;
    await webhooks(1);
    const bookkeeperAt = new Date(Date.now() - 4 * minute);
    await editInQbo(qboId, { PrimaryEmailAddr: { Address: 'ada@qbo.example' } }, bookkeeperAt);
    const crmAt = new Date();
    await put('newer-crm', { displayName: 'Ada Newer', email: 'ada@crm.example' }, crmAt);
    await eventually(
      () => customer(qboId),
      (found) => found.PrimaryEmailAddr?.Address === 'ada@crm.example',
      15_000,
      'the CRM’s newer email in QBO',
    );
    await webhooks(0);
    const [conflict] = await eventually(
      () => conflictsOf('newer-crm'),
      (found) => found.length === 1,
      10_000,
      'the conflict',
    );
    expect(conflict).toMatchObject({
      fields: ['email'],
      status: 'conflict',
      detail: expect.objectContaining({
        crmValue: 'ada@crm.example',
        qboValue: 'ada@qbo.example',
        rule: 'most_recent',
        applied: 'crm',
      }),
    });
    expect(Date.parse(conflict.detail.crmChangedAt)).toBe(crmAt.getTime());
    expect(Math.abs(Date.parse(conflict.detail.qboChangedAt) - bookkeeperAt.getTime())).toBeLessThan(1000);
    expect((await synced('newer-crm')).fields.email).toBe('ada@crm.example');
  });

  it('does not let a late CRM write carrying an older time overwrite QBO’s newer value', async () => {
    const start = new Date(Date.now() - 10 * minute);
    await put('reverse', { displayName: 'Rex Reverse', phone: '555-0001' }, start);
    const qboId = (await synced('reverse')).quickbooks.customerId;
    // A QBO user changes the phone, and it reaches the CRM.
    await editInQbo(qboId, { PrimaryPhone: { FreeFormNumber: '555-QBO-NEW' } });
    await synced('reverse', (found) => found.fields.phone === '555-QBO-NEW');
    // A second later the CRM writes a version of the contact from before it heard of that: older time, older phone.
    await put(
      'reverse',
      { displayName: 'Rex Reverse', phone: '555-CRM-OLD', email: 'rex@example.com' },
      new Date(Date.now() - 5 * minute),
    );
    const written = await eventually(
      () => customer(qboId),
      (found) => found.PrimaryEmailAddr?.Address === 'rex@example.com',
      15_000,
      'the CRM’s new email in QBO',
    );
    expect(written.PrimaryPhone.FreeFormNumber).toBe('555-QBO-NEW');
    const [conflict] = await eventually(
      () => conflictsOf('reverse'),
      (found) => found.length === 1,
      10_000,
      'the conflict',
    );
    expect(conflict).toMatchObject({
      fields: ['phone'],
      detail: expect.objectContaining({
        crmValue: '555-CRM-OLD',
        qboValue: '555-QBO-NEW',
        rule: 'older_than_base',
        applied: 'qbo',
      }),
    });
    expect((await contact('reverse')).fields.phone).toBe('555-QBO-NEW');
  });

  it('orders a contact from a clock an hour fast by when it arrived, and says so, without locking out correct clocks', async () => {
    const future = new Date(Date.now() + 60 * minute);
    const before = Date.now();
    const stored = await put('skewed', { displayName: 'Sam Skewed', phone: '555-0100' }, future);
    expect(stored.sync.clampedUpdatedAt).toBe(future.toISOString());
    expect(Date.parse(stored.updatedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(stored.updatedAt)).toBeLessThan(future.getTime() - 50 * minute);
    const qboId = (await synced('skewed')).quickbooks.customerId;
    // The history says so too: the customer made from it carries the time the CRM sent.
    const created = (
      await harness.request(
        'GET',
        `/v1/sync-events?connectionId=${connection.id}&crmContactId=skewed&kind=created&limit=10`,
      )
    ).json.data;
    expect(created.map((event: { detail: Record<string, unknown> }) => event.detail)).toEqual([
      { crmUpdatedAtSent: future.toISOString() },
    ]);
    // A correct clock, a moment later, is accepted (not `stale_contact` for the next hour) and written.
    await put('skewed', { displayName: 'Sam Skewed', phone: '555-0200' }, new Date(Date.now() + 1000));
    await eventually(
      () => customer(qboId),
      (found) => found.PrimaryPhone?.FreeFormNumber === '555-0200',
      15_000,
      'the correct clock’s phone in QBO',
    );
    // And QBO's later edit beats the skewed time it would have lost to had that been believed.
    await webhooks(1);
    await put('skewed', { displayName: 'Sam Skewed', phone: '555-0300' }, future);
    await editInQbo(
      qboId,
      { PrimaryPhone: { FreeFormNumber: '555-QBO' } },
      new Date(Date.now() + 10 * minute),
    );
    await webhooks(0);
    await pollNow();
    await synced('skewed', (found) => found.fields.phone === '555-QBO');
    expect((await customer(qboId)).PrimaryPhone.FreeFormNumber).toBe('555-QBO');
  });

  it('fills, never clears, at a first link: the CRM’s notes survive a newer QBO customer without notes', async () => {
    const created = await qbo.create('Customer', {
      DisplayName: 'Trade Show Co',
      PrimaryEmailAddr: { Address: 'buyer@tradeshow.example' },
    });
    await pollNow();
    // The CRM's contact was last edited an hour before the QBO customer was made: QBO is the newer record.
    await put(
      'first-link',
      { displayName: 'Trade Show Co', email: 'buyer@tradeshow.example', notes: 'VIP, met at trade show' },
      new Date(Date.now() - 60 * minute),
    );
    const linked = await synced('first-link', (found) => found.quickbooks?.customerId === created.Id);
    expect(linked.quickbooks.linkedBy).toBe('email');
    expect(linked.fields.notes).toBe('VIP, met at trade show');
    await eventually(
      () => customer(created.Id),
      (found) => found.Notes === 'VIP, met at trade show',
      15_000,
      'the notes filled in QBO',
    );
  });

  it('re-links a field that comes back into the sync like a first link, filling rather than clearing', async () => {
    const policy = (notes: string) =>
      harness.request('PATCH', `/v1/connections/${connection.id}`, { body: { mappingPolicy: { notes } } });
    expect((await policy('none')).status).toBe(200);
    await put(
      're-enabled',
      { displayName: 'Rhea Enabled', notes: 'Only in the CRM' },
      new Date(Date.now() - minute),
    );
    const qboId = (await synced('re-enabled')).quickbooks.customerId;
    expect((await customer(qboId)).Notes ?? '').toBe('');
    expect((await policy('both')).status).toBe(200);
    await eventually(
      () => customer(qboId),
      (found) => found.Notes === 'Only in the CRM',
      15_000,
      'the CRM’s notes written to QBO once notes sync again',
    );
    expect((await contact('re-enabled')).fields.notes).toBe('Only in the CRM');
  });

  it('applies the per-field policies: crm_wins, qbo_wins, and manual holds the field for a person', async () => {
    const settings = await harness.request('PATCH', `/v1/connections/${connection.id}`, {
      body: { conflictPolicy: { email: 'crm_wins', phone: 'manual', notes: 'qbo_wins' } },
    });
    expect(settings.json.settings.conflictPolicy).toMatchObject({
      email: 'crm_wins',
      phone: 'manual',
      notes: 'qbo_wins',
    });
    const start = {
      displayName: 'Pat Policy',
      email: 'pat@start.example',
      phone: '555-1000',
      notes: 'start',
    };
    await put('policies', start, new Date(Date.now() - 10 * minute));
    const qboId = (await synced('policies')).quickbooks.customerId;

    await webhooks(1);
    // QBO's edits are the newer ones: most_recent would take all three.
    await put(
      'policies',
      { ...start, email: 'pat@crm.example', phone: '555-CRM', notes: 'crm note' },
      new Date(Date.now() - 2 * minute),
    );
    await editInQbo(qboId, {
      PrimaryEmailAddr: { Address: 'pat@qbo.example' },
      PrimaryPhone: { FreeFormNumber: '555-QBO' },
      Notes: 'qbo note',
    });
    await webhooks(0);
    await pollNow();
    const held = await eventually(
      () => contact('policies'),
      (found) => found.sync.heldFields.includes('phone') && found.fields.notes === 'qbo note',
      15_000,
      'phone held and notes from QBO',
    );
    expect(held.fields).toMatchObject({ email: 'pat@crm.example', phone: '555-CRM', notes: 'qbo note' });
    await eventually(
      () => customer(qboId),
      (found) => found.PrimaryEmailAddr?.Address === 'pat@crm.example',
      15_000,
      'the CRM’s email in QBO',
    );
    expect((await customer(qboId)).PrimaryPhone.FreeFormNumber).toBe('555-QBO');

    const conflicts = await eventually(
      () => conflictsOf('policies'),
      (found) => found.length >= 1,
      10_000,
      'conflicts',
    );
    const waiting = conflicts.find((event: { fields: string[] }) => event.fields.includes('phone'));
    expect(waiting).toMatchObject({
      status: 'conflict',
      detail: expect.objectContaining({
        crmValue: '555-CRM',
        qboValue: '555-QBO',
        rule: 'manual',
        applied: null,
      }),
    });
    const resolved = await harness.request('POST', `/v1/sync-events/${waiting.id}/resolve`, {
      body: { choice: 'crm' },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.json).toMatchObject({
      status: 'resolved',
      detail: expect.objectContaining({ applied: 'crm', appliedValue: '555-CRM' }),
    });
    await eventually(
      () => customer(qboId),
      (found) => found.PrimaryPhone?.FreeFormNumber === '555-CRM',
      15_000,
      'the chosen phone in QBO',
    );
    expect((await synced('policies')).sync.heldFields).toEqual([]);
    expect(
      (
        await harness.request('PATCH', `/v1/connections/${connection.id}`, {
          body: { conflictPolicy: { email: 'most_recent', phone: 'most_recent', notes: 'most_recent' } },
        })
      ).status,
    ).toBe(200);
  });

  it('merges a QBO change whose poll stored it and died before the merge (a killed worker), when the poll is retried', async () => {
    await put('half-polled', { displayName: 'Hal Polled', phone: '555-0500' }, new Date(Date.now() - minute));
    const qboId = (await synced('half-polled')).quickbooks.customerId;
    await webhooks(1);
    try {
      await editInQbo(qboId, { PrimaryPhone: { FreeFormNumber: '555-0599' } });
      // What a poll whose worker was SIGKILLed after its projection write leaves behind: our copy of the customer
      // holds QBO's version, the contact has not merged it.
      const stored = (await harness.request('GET', `/v1/connections/${connection.id}`)).json;
      await applyRecords(
        {
          db: harness.db.mongoose.connection,
          connectionId: connection.id,
          environment: 'sandbox',
          homeCurrency: stored.homeCurrency ?? 'USD',
          today: new Date().toISOString().slice(0, 10),
          now: new Date(),
        },
        'Customer',
        [await customer(qboId)],
      );
      expect((await contact('half-polled')).fields.phone).toBe('555-0500');
      await pollNow();
    } finally {
      await webhooks(0);
    }
    // The retried poll finds the record unchanged in our copy, and merges it all the same.
    expect((await synced('half-polled', (found) => found.fields.phone === '555-0599')).fields.phone).toBe(
      '555-0599',
    );
  });

  it('lets a retry take over an Idempotency-Key whose first request died while running', async () => {
    const body = { backfill: false };
    const path = '/v1/connections/quickbooks';
    const record = (key: string, lockedUntil: Date) => ({
      _id: `${harness.account.id}:POST ${path}:${key}`,
      requestHash: createHash('sha256').update(JSON.stringify(body)).digest('hex'),
      state: 'running',
      createdAt: new Date(lockedUntil.getTime() - minute),
      lockedUntil,
      expiresAt: new Date(Date.now() + 24 * 60 * minute),
    });
    const keys = harness.db.mongoose.connection.db!.collection('idempotency_keys');
    // One request crashed two minutes ago; another is running now.
    await keys.insertMany([
      record('crashed', new Date(Date.now() - minute)),
      record('running', new Date(Date.now() + minute)),
    ] as never[]);
    const retry = await harness.request('POST', path, { body, headers: { 'Idempotency-Key': 'crashed' } });
    expect(retry.status).toBe(201);
    expect(retry.json.authorizeUrl).toMatch(/^http/);
    const replay = await harness.request('POST', path, { body, headers: { 'Idempotency-Key': 'crashed' } });
    expect(replay.status).toBe(201);
    expect(replay.json.state).toBe(retry.json.state);
    const busy = await harness.request('POST', path, { body, headers: { 'Idempotency-Key': 'running' } });
    expect(busy.status).toBe(409);
    expect(busy.json.code).toBe('idempotency_conflict');
    expect(Number(busy.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  describe('two CRM accounts connected to one QBO company', () => {
    let other: TestAccount;
    let otherConnection: { id: string; realmId: string };
    beforeAll(async () => {
      other = await harness.newAccount('Second CRM account');
      const started = await harness.request('POST', '/v1/connections/quickbooks', {
        key: other.key,
        body: { backfill: true },
      });
      expect(started.status).toBe(201);
      const callback = new URL(await approveConsent(started.json.authorizeUrl, connection.realmId));
      const done = await harness.request('GET', `${callback.pathname}${callback.search}`, { key: null });
      expect(done.status).toBe(200);
      otherConnection = done.json;
      expect(otherConnection.realmId).toBe(connection.realmId);
    });

    it('brings a QBO edit to every connection’s contact, from one webhook delivery', async () => {
      const fields = { displayName: 'Shared Customer', email: 'shared@example.com' };
      await put('shared-1', fields, new Date(Date.now() - minute));
      const qboId = (await synced('shared-1')).quickbooks.customerId;
      await put('shared-2', fields, new Date(Date.now() - minute), other.key);
      expect((await synced('shared-2', () => true, other.key)).quickbooks.customerId).toBe(qboId);
      await editInQbo(qboId, { PrimaryPhone: { FreeFormNumber: '555-SHARED' } });
      await synced('shared-1', (found) => found.fields.phone === '555-SHARED');
      await synced('shared-2', (found) => found.fields.phone === '555-SHARED', other.key);
    });

    it('spends one request budget for the company, whichever connection makes the request', async () => {
      const health = async (id: string, key?: string) =>
        (await harness.request('GET', `/v1/connections/${id}/health`, key ? { key } : {})).json;
      await pollNow();
      const [mine, theirs] = [await health(connection.id), await health(otherConnection.id, other.key)];
      expect(mine.apiBudget.usedThisMinute + mine.apiBudget.usedLastMinute).toBeGreaterThan(0);
      expect(theirs.apiBudget).toEqual(mine.apiBudget);
    });
  });
});
