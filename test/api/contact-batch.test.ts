import { startApiHarness, type ApiHarness } from '../support/api-harness';
import type { QboClient } from '../support/emulator';
import { eventually } from '../support/env';

/**
 * `POST /v1/contacts/batch` over real HTTP: each contact stored as the PUT stores it and answered on its own, the
 * accepted ones written to QuickBooks (the emulator) by the connection's workflow.
 */
describe('POST /v1/contacts/batch', () => {
  let harness: ApiHarness;
  let connection: { id: string; realmId: string };
  let qbo: QboClient;

  beforeAll(async () => {
    harness = await startApiHarness();
    connection = await harness.connect(harness.account, { company: { companyName: 'Batch Ltd' } });
    await eventually(
      async () => (await harness.request('GET', `/v1/connections/${connection.id}`)).json,
      (body) => body.backfill?.status === 'done' && body.workflow?.state === 'syncing',
      20_000,
      'Batch Ltd backfilled',
    );
    qbo = await harness.qboFor(connection.realmId);
  });
  afterAll(async () => {
    await harness?.close();
  });

  const contact = (crmContactId: string, displayName: string, updatedAt = new Date().toISOString()) => ({
    crmContactId,
    updatedAt,
    fields: { displayName, email: `${crmContactId}@example.com` },
  });

  it('answers each contact on its own and writes the accepted ones to QuickBooks', async () => {
    const newer = new Date().toISOString();
    const held = await harness.request('PUT', '/v1/contacts/batch-stale', {
      body: { updatedAt: newer, fields: { displayName: 'Stale Held' } },
    });
    expect(held.status).toBe(202);
    const anHourEarlier = new Date(Date.parse(newer) - 3_600_000).toISOString();

    const sent = await harness.request('POST', '/v1/contacts/batch', {
      body: {
        contacts: [
          contact('batch-good-1', 'Batch Good One'),
          contact('batch-stale', 'Stale Older', anHourEarlier),
          { ...contact('batch-bad-email', 'Bad Email'), fields: { email: 'x'.repeat(101) } },
          { ...contact('batch-unknown-customer', 'Unknown Customer'), qboCustomerId: '987654' },
          contact('batch-good-1', 'Batch Good One Again'),
          { crmContactId: 'batch-no-time', fields: {} },
          contact('batch-good-2', 'Batch Good Two'),
        ],
      },
    });
    expect(sent.status).toBe(200);
    expect(sent.json).toMatchObject({ accepted: 2, refused: 5 });
    const [good1, stale, badEmail, unknownCustomer, repeated, noTime, good2] = sent.json.results;
    expect(good1).toEqual({ crmContactId: 'batch-good-1', status: 202 });
    expect(good2).toEqual({ crmContactId: 'batch-good-2', status: 202 });
    expect(stale).toMatchObject({
      crmContactId: 'batch-stale',
      status: 409,
      problem: { code: 'stale_contact', field: 'body.contacts.1.updatedAt' },
    });
    expect(badEmail).toMatchObject({
      crmContactId: 'batch-bad-email',
      status: 400,
      problem: { code: 'validation_failed', field: 'body.contacts.2.fields.email' },
    });
    expect(unknownCustomer).toMatchObject({
      status: 422,
      problem: { code: 'customer_not_found', field: 'body.contacts.3.qboCustomerId' },
    });
    expect(repeated).toMatchObject({
      crmContactId: 'batch-good-1',
      status: 400,
      problem: { code: 'validation_failed', field: 'body.contacts.4.crmContactId' },
    });
    expect(repeated.problem.detail).toContain('body.contacts.0');
    expect(noTime).toMatchObject({
      crmContactId: 'batch-no-time',
      status: 400,
      problem: { code: 'validation_failed', field: 'body.contacts.5.updatedAt' },
    });

    // The accepted contacts reach QuickBooks through the workflow, as a PUT's do.
    for (const [crmContactId, displayName] of [
      ['batch-good-1', 'Batch Good One'],
      ['batch-good-2', 'Batch Good Two'],
    ] as const) {
      const synced = await eventually(
        async () => (await harness.request('GET', `/v1/contacts/${crmContactId}`)).json,
        (body) => body.sync?.state === 'synced',
        15_000,
        `${crmContactId} synced`,
      );
      const customer = (await qbo.read('Customer', synced.quickbooks.customerId)).json.Customer;
      expect(customer).toMatchObject({
        DisplayName: displayName,
        PrimaryEmailAddr: { Address: `${crmContactId}@example.com` },
      });
    }
    // The refusals stored nothing: the held version stands, and the refused new contacts do not exist.
    expect((await harness.request('GET', '/v1/contacts/batch-stale')).json.fields.displayName).toBe(
      'Stale Held',
    );
    for (const refused of ['batch-bad-email', 'batch-unknown-customer', 'batch-no-time'])
      expect((await harness.request('GET', `/v1/contacts/${refused}`)).status).toBe(404);
  });

  it('refuses a batch over 1,000 contacts, naming the limit', async () => {
    const contacts = Array.from({ length: 1001 }, (_, index) => contact(`over-${index}`, `Over ${index}`));
    const sent = await harness.request('POST', '/v1/contacts/batch', { body: { contacts } });
    expect(sent.status).toBe(400);
    expect(sent.json).toMatchObject({ code: 'validation_failed', field: 'body.contacts' });
    expect(sent.json.detail).toContain('at most 1000 contacts');
    expect((await harness.request('GET', '/v1/contacts/over-0')).status).toBe(404);
  });

  it('replays the first answer to a repeat with the same Idempotency-Key', async () => {
    const body = { contacts: [contact('batch-idem', 'Batch Idem')] };
    const headers = { 'Idempotency-Key': 'batch-idem-1' };
    const first = await harness.request('POST', '/v1/contacts/batch', { body, headers });
    expect(first.status).toBe(200);
    const again = await harness.request('POST', '/v1/contacts/batch', { body, headers });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(first.json);
    // Without a key, sending the same contacts again is accepted and changes nothing.
    const resent = await harness.request('POST', '/v1/contacts/batch', { body });
    expect(resent.json.results).toEqual([{ crmContactId: 'batch-idem', status: 202 }]);
  });

  // Last: the workflow goes on writing these thousand contacts to QuickBooks after the test.
  it('takes a full batch of 1,000, and a body too large for the route is a 413 naming its size', async () => {
    /** Contacts the workflow has been told of: written, being written, or waiting. */
    const toldOf = async (): Promise<number> => {
      const { workflow } = (await harness.request('GET', `/v1/connections/${connection.id}`)).json;
      return (workflow.totals.pushed ?? 0) + workflow.pushesInFlight + workflow.contactsWaiting;
    };
    // Counted from a quiet workflow, so that a contact of an earlier test still moving counts once or not at all.
    const quiet = await eventually(
      async () => (await harness.request('GET', `/v1/connections/${connection.id}`)).json.workflow,
      (workflow) => workflow.pushesInFlight === 0 && workflow.contactsWaiting === 0,
      20_000,
      'no push in flight or waiting',
    );
    const before: number = quiet.totals.pushed ?? 0;
    const contacts = Array.from({ length: 1000 }, (_, index) => contact(`full-${index}`, `Full ${index}`));
    // Each contact is stored as a PUT stores it: tens of milliseconds apiece on a loaded two-core machine.
    const sent = await harness.request('POST', '/v1/contacts/batch', {
      body: { contacts },
      timeoutMs: 110_000,
    });
    expect(sent.status).toBe(200);
    expect(sent.json).toMatchObject({ accepted: 1000, refused: 0 });
    // Told in chunks, one signal each: every chunk reached the workflow.
    const told = await eventually(
      toldOf,
      (count) => count >= before + 1000,
      10_000,
      'the workflow told of 1,000',
    );
    expect(told).toBeGreaterThanOrEqual(before + 1000);

    const huge = Array.from({ length: 1000 }, (_, index) => ({
      ...contact(`huge-${index}`, `Huge ${index}`),
      fields: { displayName: `Huge ${index}`, notes: 'n'.repeat(4000), website: 'w'.repeat(1000) },
    }));
    const tooLarge = await harness.request('POST', '/v1/contacts/batch', { body: { contacts: huge } });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json).toMatchObject({ code: 'body_too_large', field: 'body' });
    expect(tooLarge.json.detail).toMatch(/\(\d+ bytes\)/);
  }, 150_000);
});
