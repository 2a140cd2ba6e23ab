import { startApiHarness, type ApiHarness } from '../support/api-harness';
import type { QboClient } from '../support/emulator';
import { eventually } from '../support/env';

const minute = 60_000;

/**
 * Taking back what qbo-sync wrote into QuickBooks, through the public API against the emulator: a field update
 * written back (and the contact following), refused when QuickBooks changed the field since, a created customer made
 * inactive, an undo undone, and a bulk undo of stacked edits by time range, page by page.
 */
describe('undo of what qbo-sync wrote into QuickBooks', () => {
  let harness: ApiHarness;
  let connection: { id: string; realmId: string };
  let qbo: QboClient;

  beforeAll(async () => {
    harness = await startApiHarness();
    connection = await harness.connect(harness.account);
    qbo = await harness.qboFor(connection.realmId);
  });
  afterAll(() => harness?.close());

  const put = async (id: string, fields: Record<string, string>, updatedAt: Date) => {
    const response = await harness.request('PUT', `/v1/contacts/${id}`, {
      body: { updatedAt: updatedAt.toISOString(), fields },
    });
    if (response.status !== 202)
      throw new Error(`PUT ${id} answered ${response.status}: ${JSON.stringify(response.json)}`);
  };
  const contact = (id: string, accept: (found: any) => boolean, what: string) =>
    eventually(
      async () => (await harness.request('GET', `/v1/contacts/${id}`)).json,
      (found) => found.sync?.state === 'synced' && found.quickbooks !== null && accept(found),
      20_000,
      `${id}: ${what}`,
    );
  const customer = async (qboId: string) => (await qbo.read('Customer', qboId)).json.Customer;
  const eventsOf = async (crmContactId: string, kind: string) =>
    (
      await harness.request(
        'GET',
        `/v1/sync-events?connectionId=${connection.id}&crmContactId=${crmContactId}&kind=${kind}&limit=100`,
      )
    ).json.data;
  /** The contact's `updated_qbo` event that wrote `email` as `to`. */
  const emailWrite = async (crmContactId: string, to: string) =>
    (
      await eventually(
        () => eventsOf(crmContactId, 'updated_qbo'),
        (events) => events.some((event: any) => event.detail.changes.some((change: any) => change.to === to)),
        20_000,
        `the write of ${to}`,
      )
    ).find((event: any) => event.detail.changes.some((change: any) => change.to === to));
  const undo = (eventId: string, key?: string) =>
    harness.request('POST', `/v1/sync-events/${eventId}/undo`, {
      timeoutMs: 30_000,
      ...(key ? { key } : {}),
    });
  /** A contact created in QBO with `email`, then changed by the CRM to `changed`; its customer id. */
  const withEmailWritten = async (id: string, email: string, changed: string): Promise<string> => {
    await put(id, { displayName: `Undo ${id}`, email }, new Date(Date.now() - 5 * minute));
    const qboId = (await contact(id, () => true, 'created')).quickbooks.customerId;
    await put(id, { displayName: `Undo ${id}`, email: changed }, new Date(Date.now() - 4 * minute));
    await contact(id, (found) => found.fields.email === changed, `shows ${changed}`);
    await eventually(
      () => customer(qboId),
      (found) => found.PrimaryEmailAddr?.Address === changed,
      20_000,
      `${changed} in QBO`,
    );
    return qboId;
  };

  it('writes a field’s previous value back, the contact follows and keeps it, and the undo can be undone', async () => {
    const qboId = await withEmailWritten('undo-field', 'first@undo.example', 'second@undo.example');
    const written = await emailWrite('undo-field', 'second@undo.example');
    // The change records what QBO held before the write, not the value written.
    expect(written.detail.changes).toEqual([
      { field: 'email', from: 'first@undo.example', to: 'second@undo.example' },
    ]);

    const undone = await undo(written.id);
    expect(undone.status).toBe(200);
    expect(undone.json).toMatchObject({
      kind: 'undone',
      undoes: written.id,
      fields: ['email'],
      crmContactId: 'undo-field',
      qboCustomerId: qboId,
    });
    expect(undone.json.detail.changes).toEqual([
      { field: 'email', from: 'second@undo.example', to: 'first@undo.example' },
    ]);
    expect((await customer(qboId)).PrimaryEmailAddr.Address).toBe('first@undo.example');
    await contact(
      'undo-field',
      (found) => found.fields.email === 'first@undo.example',
      'shows the old email',
    );
    const [original] = (await eventsOf('undo-field', 'updated_qbo')).filter(
      (event: any) => event.id === written.id,
    );
    expect(original.undoneBy).toBe(undone.json.id);

    // The CRM sends its next version before it applied the undo (its email still the undone one): that stale
    // value is not written to QBO again, while its own new change is.
    await put(
      'undo-field',
      { displayName: 'Undo undo-field', email: 'second@undo.example', phone: '555-0199' },
      new Date(Date.now() - minute),
    );
    await eventually(
      () => customer(qboId),
      (found) => found.PrimaryPhone?.FreeFormNumber === '555-0199',
      20_000,
      'the new phone in QBO',
    );
    expect((await customer(qboId)).PrimaryEmailAddr.Address).toBe('first@undo.example');
    await contact('undo-field', (found) => found.fields.phone === '555-0199', 'shows the new phone');
    expect((await harness.request('GET', '/v1/contacts/undo-field')).json.fields.email).toBe(
      'first@undo.example',
    );

    const again = await undo(written.id);
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'already_undone', field: 'path.id' });
    expect(again.json.detail).toContain(undone.json.id);

    // Undoing the undo re-applies the change, on both sides.
    const redone = await undo(undone.json.id);
    expect(redone.status).toBe(200);
    expect(redone.json).toMatchObject({ kind: 'undone', undoes: undone.json.id });
    expect((await customer(qboId)).PrimaryEmailAddr.Address).toBe('second@undo.example');
    await contact('undo-field', (found) => found.fields.email === 'second@undo.example', 'shows it again');
  });

  it('refuses with 409 naming the field when QuickBooks changed it since, and writes nothing', async () => {
    const qboId = await withEmailWritten('undo-refused', 'one@undo.example', 'two@undo.example');
    const written = await emailWrite('undo-refused', 'two@undo.example');
    const current = await customer(qboId);
    const edited = await qbo.write('Customer', {
      Id: qboId,
      SyncToken: current.SyncToken,
      sparse: true,
      PrimaryEmailAddr: { Address: 'bookkeeper@undo.example' },
    });
    expect(edited.status).toBe(200);

    const refused = await undo(written.id);
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: 'undo_conflict', field: 'email' });
    expect(refused.json.errors).toEqual([
      {
        field: 'email',
        message: 'QuickBooks holds "bookkeeper@undo.example" now; qbo-sync wrote "two@undo.example"',
      },
    ]);
    const after = await customer(qboId);
    expect(after.SyncToken).toBe(edited.json.Customer.SyncToken);
    expect(after.PrimaryEmailAddr.Address).toBe('bookkeeper@undo.example');
    expect((await eventsOf('undo-refused', 'undone')).length).toBe(0);
  });

  it('makes a created customer inactive, keeps the contact linked without syncing it, and undoes that', async () => {
    await put('undo-created', { displayName: 'Undo Created', email: 'made@undo.example' }, new Date());
    const qboId = (await contact('undo-created', () => true, 'created')).quickbooks.customerId;
    const [created] = await eventually(
      () => eventsOf('undo-created', 'created'),
      (events) => events.length === 1,
      20_000,
      'the created event',
    );

    const undone = await undo(created.id);
    expect(undone.status).toBe(200);
    expect(undone.json).toMatchObject({ kind: 'undone', undoes: created.id, fields: [] });
    expect((await customer(qboId)).Active).toBe(false);
    const deactivated = (await harness.request('GET', '/v1/contacts/undo-created')).json;
    expect(deactivated.quickbooks).toMatchObject({ customerId: qboId, deactivatedAt: expect.any(String) });

    // The CRM's next version is not pushed to the inactive customer, and no second customer is made.
    await put('undo-created', { displayName: 'Undo Created', email: 'later@undo.example' }, new Date());
    const refused = await eventually(
      async () => (await harness.request('GET', '/v1/contacts/undo-created')).json,
      (found) => found.sync.state === 'rejected',
      20_000,
      'the push refused',
    );
    expect(refused.sync.lastEvent.detail.problems[0].problem).toContain(undone.json.id);
    expect(refused.quickbooks.customerId).toBe(qboId);
    expect((await customer(qboId)).PrimaryEmailAddr.Address).toBe('made@undo.example');

    // The drift audit leaves a link made inactive on purpose as it is.
    const started = await harness.request('POST', `/v1/connections/${connection.id}/audit`);
    expect(started.status).toBe(202);
    const audited = await eventually(
      async () => (await harness.request('GET', `/v1/connections/${connection.id}/audit`)).json,
      (body) => body.status !== 'running',
      60_000,
      'the audit to finish',
    );
    expect(audited.status).toBe('completed');
    expect(audited.counts.customers).toBeGreaterThan(0);
    expect(audited.counts.byKind.link_to_inactive ?? 0).toBe(0);

    // Undoing the undo makes it active again, and the version refused meanwhile is written to it.
    const restored = await undo(undone.json.id);
    expect(restored.status).toBe(200);
    expect((await customer(qboId)).Active).toBe(true);
    const resynced = await contact(
      'undo-created',
      (found) => found.quickbooks.deactivatedAt === null,
      'synced again',
    );
    expect(resynced.quickbooks.customerId).toBe(qboId);
    expect((await customer(qboId)).PrimaryEmailAddr.Address).toBe('later@undo.example');
  });

  it('undoes stacked edits by time range, newest first, a page at a time', async () => {
    const from = new Date().toISOString();
    await put(
      'undo-bulk',
      { displayName: 'Undo Bulk', email: 'a@bulk.example' },
      new Date(Date.now() - 3 * minute),
    );
    const qboId = (await contact('undo-bulk', () => true, 'created')).quickbooks.customerId;
    for (const [email, ago] of [
      ['b@bulk.example', 2],
      ['c@bulk.example', 1],
    ] as const) {
      await put('undo-bulk', { displayName: 'Undo Bulk', email }, new Date(Date.now() - ago * minute));
      await contact('undo-bulk', (found) => found.fields.email === email, `shows ${email}`);
    }
    const toB = await emailWrite('undo-bulk', 'b@bulk.example');
    const toC = await emailWrite('undo-bulk', 'c@bulk.example');
    const path = `/v1/connections/${connection.id}/undo`;

    const first = await harness.request('POST', path, {
      body: { from, kind: 'updated_qbo', limit: 1 },
      timeoutMs: 30_000,
    });
    expect(first.status).toBe(200);
    expect(first.json.data).toEqual([
      expect.objectContaining({ eventId: toC.id, outcome: 'undone', conflicts: [], reason: null }),
    ]);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    expect((await customer(qboId)).PrimaryEmailAddr.Address).toBe('b@bulk.example');

    const second = await harness.request('POST', path, {
      body: { from, kind: 'updated_qbo', limit: 1000, cursor: first.json.nextCursor },
      timeoutMs: 30_000,
    });
    expect(second.status).toBe(200);
    expect(second.json.data).toEqual([expect.objectContaining({ eventId: toB.id, outcome: 'undone' })]);
    expect(second.json.nextCursor).toBeNull();
    expect((await customer(qboId)).PrimaryEmailAddr.Address).toBe('a@bulk.example');
    await contact('undo-bulk', (found) => found.fields.email === 'a@bulk.example', 'back to the first email');

    // Again over the same range: each is reported undone already, and nothing is written.
    const token = (await customer(qboId)).SyncToken;
    const repeated = await harness.request('POST', path, { body: { from, kind: 'updated_qbo' } });
    expect(repeated.json.data.map((entry: any) => [entry.eventId, entry.outcome, entry.reason])).toEqual([
      [toC.id, 'skipped', 'already_undone'],
      [toB.id, 'skipped', 'already_undone'],
    ]);
    expect((await customer(qboId)).SyncToken).toBe(token);
  });

  it('voids an invoice written from the CRM, and cannot take the void back', async () => {
    await eventually(
      async () => (await harness.request('GET', `/v1/connections/${connection.id}`)).json,
      (body) => body.backfill?.status === 'done',
      30_000,
      'the backfill',
    );
    await put('undo-doc', { displayName: 'Undo Doc', email: 'doc@undo.example' }, new Date());
    const made = await harness.request('POST', `/v1/connections/${connection.id}/invoices`, {
      body: {
        dealId: 'deal-undo',
        customer: { crmContactId: 'undo-doc' },
        lines: [{ product: { name: 'Hours' }, quantity: 2, unitPrice: 60 }],
      },
    });
    expect(made.status).toBe(201);
    const qboId = made.json.qboId;
    const [written] = await eventsOf('undo-doc', 'document_written');
    expect(written.detail).toMatchObject({ documentKind: 'invoice', dealId: 'deal-undo', qboId });

    const undone = await undo(written.id);
    expect(undone.status).toBe(200);
    expect(undone.json).toMatchObject({ kind: 'undone', undoes: written.id });
    expect(undone.json.detail.voided).toEqual({ documentKind: 'invoice', qboId });
    expect((await qbo.read('Invoice', qboId)).json.Invoice.TotalAmt).toBe(0);
    const listed = await harness.request('GET', `/v1/connections/${connection.id}/deals/deal-undo/documents`);
    expect(listed.json.data[0].transaction).toMatchObject({ qboId, status: 'voided' });

    const unvoid = await undo(undone.json.id);
    expect(unvoid.status).toBe(422);
    expect(unvoid.json.code).toBe('not_undoable');
  });

  it('refuses a bulk undo without a filter, and an event that wrote nothing into QuickBooks', async () => {
    const unfiltered = await harness.request('POST', `/v1/connections/${connection.id}/undo`, { body: {} });
    expect(unfiltered.status).toBe(400);
    expect(unfiltered.json.errors).toEqual([
      { field: 'body', message: expect.stringContaining('time range') },
    ]);
    const [linked] = await eventually(
      () => eventsOf('undo-created', 'linked'),
      (events) => events.length > 0,
      20_000,
      'a linked event',
    );
    const refused = await undo(linked.id);
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ code: 'not_undoable', field: 'path.id' });
  });

  it('answers 404 for another account’s sync event and connection, and for an unknown id', async () => {
    const other = await harness.newAccount('Undo stranger');
    const [event] = await eventsOf('undo-created', 'created');
    expect((await undo(event.id, other.key)).status).toBe(404);
    expect((await undo('0123456789abcdef01234567')).status).toBe(404);
    const bulk = await harness.request('POST', `/v1/connections/${connection.id}/undo`, {
      key: other.key,
      body: { kind: 'created' },
    });
    expect(bulk.status).toBe(404);
    expect(
      (await harness.request('GET', '/v1/contacts/undo-created')).json.quickbooks.deactivatedAt,
    ).toBeNull();
  });
});
