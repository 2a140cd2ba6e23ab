import { startApiHarness, type ApiHarness } from '../support/api-harness';
import type { QboClient } from '../support/emulator';
import { eventually } from '../support/env';

const minute = 60_000;

/**
 * "Why does this field say that?" through the public API: a field last set by the CRM's PUT and one last set by a
 * bookkeeper in QBO, each traced to its sync event, the way it came and its rule.
 */
describe('a contact’s lineage', () => {
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
  const synced = (id: string, accept: (contact: any) => boolean) =>
    eventually(
      async () => (await harness.request('GET', `/v1/contacts/${id}`)).json,
      (found) => found.sync.state === 'synced' && found.quickbooks !== null && accept(found),
      20_000,
      `${id} synced`,
    );
  const eventsOf = async (crmContactId: string) =>
    (
      await harness.request('GET', `/v1/sync-events?connectionId=${connection.id}&limit=100`)
    ).json.data.filter((event: { crmContactId: string }) => event.crmContactId === crmContactId);

  it('traces a value the CRM PUT and one a QBO edit brought, with their rules and events', async () => {
    await put(
      'traced',
      { displayName: 'Tess Traced', email: 'tess@old.example' },
      new Date(Date.now() - 5 * minute),
    );
    const qboId = (await synced('traced', () => true)).quickbooks.customerId;

    await put(
      'traced',
      { displayName: 'Tess Traced', email: 'tess@crm.example' },
      new Date(Date.now() - minute),
    );
    await synced('traced', (found) => found.fields.email === 'tess@crm.example');
    await eventually(
      async () => (await qbo.read('Customer', qboId)).json.Customer,
      (customer) => customer.PrimaryEmailAddr?.Address === 'tess@crm.example',
      20_000,
      'the CRM’s email in QBO',
    );

    const current = (await qbo.read('Customer', qboId)).json.Customer;
    const edited = await qbo.write('Customer', {
      Id: qboId,
      SyncToken: current.SyncToken,
      sparse: true,
      PrimaryPhone: { FreeFormNumber: '555-0142' },
    });
    expect(edited.status).toBe(200);
    await synced('traced', (found) => found.fields.phone === '555-0142');

    const response = await harness.request('GET', `/v1/contacts/traced/lineage`);
    expect(response.status).toBe(200);
    const field = (name: string) =>
      response.json.fields.find((entry: { field: string }) => entry.field === name);
    const events = await eventsOf('traced');
    const written = events.find(
      (event: any) => event.kind === 'updated_qbo' && event.fields.includes('email'),
    );
    const pulled = events.find(
      (event: any) => event.kind === 'updated_crm' && event.fields.includes('phone'),
    );
    expect(written).toBeDefined();
    expect(pulled).toBeDefined();

    expect(field('email')).toMatchObject({
      value: 'tess@crm.example',
      state: 'synced',
      side: 'crm',
      rule: 'one_side_changed',
      change: { eventId: written.id, kind: 'updated_qbo', channel: 'put', conflictEventId: null },
      crmChange: { at: expect.any(String), receivedAt: expect.any(String) },
    });
    expect(field('email').change.qboSyncToken).toBe(written.detail.qboSyncToken);
    expect(field('phone')).toMatchObject({
      value: '555-0142',
      state: 'synced',
      side: 'qbo',
      rule: 'one_side_changed',
      change: {
        eventId: pulled.id,
        kind: 'updated_crm',
        channel: expect.stringMatching(/^(webhook|cdc_poll)$/),
        qboSyncToken: edited.json.Customer.SyncToken,
      },
    });
    // The CRM's own last word on the phone (empty, at creation) is older than QBO's edit, which won.
    expect(Date.parse(field('phone').crmChange.at)).toBeLessThan(Date.parse(field('phone').setAt));
    // Set when QBO's edit was made, on QBO's clock.
    expect(field('phone').setAt).toBe(new Date(edited.json.Customer.MetaData.LastUpdatedTime).toISOString());
    expect(field('displayName')).toMatchObject({ side: 'crm', rule: 'created', change: { kind: 'created' } });
    expect(field('fax')).toMatchObject({ value: null, state: 'synced', rule: 'created' });
  });

  it('traces the mapped custom fields as it does the fixed ones: a CRM edit and a QBO edit, by CRM key', async () => {
    await eventually(
      () => harness.request('GET', `/v1/connections/${connection.id}/custom-fields`),
      (response) => response.json.refreshedAt !== null,
      60_000,
      'the backfill’s read of the custom field definitions',
    );
    const define = async (field: Record<string, unknown>) =>
      (await harness.emulator.admin('POST', `/companies/${connection.realmId}/custom-fields`, field)).json
        .legacyId as string;
    const tierId = await define({
      label: 'Tier',
      type: 'dropdown',
      options: ['Gold', 'Silver'],
      entities: ['Customer'],
    });
    const seatsId = await define({ label: 'Seats', type: 'number', entities: ['Customer'] });
    // Defined in QBO but mapped to no CRM key: the contact does not show it, so neither does its lineage.
    const regionId = await define({ label: 'Region', type: 'string', entities: ['Customer'] });
    expect(
      (await harness.request('POST', `/v1/connections/${connection.id}/custom-fields/refresh`)).json.problem,
    ).toBeNull();
    const mapped = await harness.request('PATCH', `/v1/connections/${connection.id}`, {
      body: { customFields: { tier: tierId, seats: seatsId } },
    });
    expect(mapped.status).toBe(200);
    const tier = `custom.${tierId}`;
    const seats = `custom.${seatsId}`;

    const putCustom = async (customFields: Record<string, unknown>, updatedAt: Date) => {
      const response = await harness.request('PUT', '/v1/contacts/tiered', {
        body: { updatedAt: updatedAt.toISOString(), fields: { displayName: 'Tiered Lineage' }, customFields },
      });
      if (response.status !== 202)
        throw new Error(`PUT tiered answered ${response.status}: ${JSON.stringify(response.json)}`);
    };
    const customerFields = async (customerId: string) =>
      (
        await qbo.request('GET', `/customer/${customerId}`, {
          query: { include: 'enhancedAllCustomFields' },
        })
      ).json.Customer.CustomField as { DefinitionId: string; StringValue?: string; NumberValue?: number }[];

    await putCustom({ tier: 'Gold', seats: 12 }, new Date(Date.now() - 5 * minute));
    const qboId = (await synced('tiered', () => true)).quickbooks.customerId;
    // The CRM changes the seats; the tier it leaves out keeps its value.
    await putCustom({ seats: 20 }, new Date(Date.now() - minute));
    await eventually(
      () => customerFields(qboId),
      (entries) => entries.some((entry) => entry.DefinitionId === seatsId && entry.NumberValue === 20),
      20_000,
      'the CRM’s seats in QBO',
    );
    // A bookkeeper changes the tier in QBO.
    const current = (await qbo.read('Customer', qboId)).json.Customer;
    const edited = await qbo.write(
      'Customer',
      {
        Id: qboId,
        SyncToken: current.SyncToken,
        sparse: true,
        CustomField: [{ DefinitionId: tierId, StringValue: 'Silver' }],
      },
      { operation: 'update' },
    );
    expect(edited.status).toBe(200);
    await harness.request('POST', `/v1/connections/${connection.id}/sync`);
    await synced('tiered', (found) => found.customFields.tier === 'Silver');

    const response = await harness.request('GET', '/v1/contacts/tiered/lineage');
    expect(response.status).toBe(200);
    const fields: { field: string; crmKey: string | null }[] = response.json.fields;
    // The fixed fields, then the mapped custom fields in their CRM keys' order; the unmapped one is not there.
    expect(fields.slice(25).map(({ field, crmKey }) => ({ field, crmKey }))).toEqual([
      { field: seats, crmKey: 'seats' },
      { field: tier, crmKey: 'tier' },
    ]);
    expect(fields.some((entry) => entry.field === `custom.${regionId}`)).toBe(false);
    const field = (name: string) => fields.find((entry) => entry.field === name) as any;

    const events = await eventsOf('tiered');
    const written = events.find((event: any) => event.kind === 'updated_qbo' && event.fields.includes(seats));
    const pulled = events.find((event: any) => event.kind === 'updated_crm' && event.fields.includes(tier));
    // The history records a custom field's change and its rule as it does a fixed field's.
    expect(written?.detail.rules).toEqual({ [seats]: 'one_side_changed' });
    expect(pulled?.detail.rules).toEqual({ [tier]: 'one_side_changed' });

    expect(field(seats)).toMatchObject({
      value: '20',
      state: 'synced',
      side: 'crm',
      rule: 'one_side_changed',
      change: {
        eventId: written.id,
        kind: 'updated_qbo',
        channel: 'put',
        qboSyncToken: written.detail.qboSyncToken,
        conflictEventId: null,
      },
      crmChange: { at: expect.any(String), receivedAt: expect.any(String) },
    });
    expect(field(tier)).toMatchObject({
      value: 'Silver',
      state: 'synced',
      side: 'qbo',
      rule: 'one_side_changed',
      change: {
        eventId: pulled.id,
        kind: 'updated_crm',
        channel: expect.stringMatching(/^(webhook|cdc_poll)$/),
        qboSyncToken: edited.json.Customer.SyncToken,
      },
    });
    expect(field(tier).setAt).toBe(new Date(edited.json.Customer.MetaData.LastUpdatedTime).toISOString());
    // The CRM's own last word on the tier (Gold, at creation) is older than QBO's edit, which won.
    expect(Date.parse(field(tier).crmChange.at)).toBeLessThan(Date.parse(field(tier).setAt));
  }, 120_000);

  it('answers 404 as problem JSON for a contact it does not know', async () => {
    const response = await harness.request('GET', '/v1/contacts/nobody-here/lineage');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(response.json.detail ?? response.json.title).toMatch(/nobody-here|contact/);
  });
});
