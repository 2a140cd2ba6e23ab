import { startApiHarness, type ApiHarness } from '../support/api-harness';
import type { QboClient } from '../support/emulator';
import { eventually } from '../support/env';

/**
 * QBO's custom fields on customers synced with CRM contact fields per connection: definitions read through the
 * GraphQL API, a mapping on the connection, typed values both ways, and refusals before any QBO call. Real API,
 * worker, Temporal and emulator.
 */
describe('custom fields on contacts, both ways, typed', () => {
  let harness: ApiHarness;
  let connectionId: string;
  let realmId: string;
  let qbo: QboClient;
  let tierId: string;
  let seatsId: string;
  let atBackfill: unknown;

  const contact = async (id: string) => (await harness.request('GET', `/v1/contacts/${id}`)).json;
  const put = (id: string, body: Record<string, unknown>) =>
    harness.request('PUT', `/v1/contacts/${id}`, { body: { updatedAt: new Date().toISOString(), ...body } });
  const requests = async () =>
    (await harness.emulator.admin('GET', `/companies/${realmId}/requests?limit=2000`)).json.requests as {
      method: string;
      path: string;
      body: unknown;
    }[];
  const customerFields = async (customerId: string) =>
    (await qbo.request('GET', `/customer/${customerId}`, { query: { include: 'enhancedAllCustomFields' } }))
      .json.Customer.CustomField as { DefinitionId: string; StringValue?: string; NumberValue?: number }[];

  beforeAll(async () => {
    harness = await startApiHarness();
    const connection = await harness.connect(harness.account, {
      company: { companyName: 'Custom Fields Ltd' },
    });
    connectionId = connection.id;
    realmId = connection.realmId;
    qbo = await harness.qboFor(realmId);
    atBackfill = (
      await eventually(
        () => harness.request('GET', `/v1/connections/${connectionId}/custom-fields`),
        (response) => response.json.refreshedAt !== null,
        60_000,
        'the backfill’s read of the definitions',
      )
    ).json;
    const define = async (field: Record<string, unknown>) =>
      (await harness.emulator.admin('POST', `/companies/${realmId}/custom-fields`, field)).json
        .legacyId as string;
    tierId = await define({
      label: 'Tier',
      type: 'dropdown',
      options: ['Gold', 'Silver'],
      entities: ['Customer'],
    });
    seatsId = await define({ label: 'Seats', type: 'number', entities: ['Customer'] });
    await define({ label: 'Crew #', type: 'string', entities: ['Invoice'] });
  }, 180_000);
  afterAll(() => harness?.close());

  it('reads the company’s customer custom fields at the backfill and on demand, and maps them to CRM keys', async () => {
    // Connected before they were defined: the backfill's read found none, and was not refused.
    expect(atBackfill).toMatchObject({ definitions: [], problem: null });

    const refreshed = await harness.request('POST', `/v1/connections/${connectionId}/custom-fields/refresh`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.problem).toBeNull();
    expect(refreshed.json.definitions).toEqual([
      {
        id: tierId,
        field: `custom.${tierId}`,
        label: 'Tier',
        type: 'dropdown',
        options: ['Gold', 'Silver'],
        crmKey: null,
      },
      { id: seatsId, field: `custom.${seatsId}`, label: 'Seats', type: 'number', options: [], crmKey: null },
    ]);

    const unknown = await harness.request('PATCH', `/v1/connections/${connectionId}`, {
      body: { customFields: { colour: '999999' } },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.json).toMatchObject({ code: 'custom_field_not_found', field: 'body.customFields.colour' });

    const patched = await harness.request('PATCH', `/v1/connections/${connectionId}`, {
      body: {
        customFields: { tier: tierId, seats: seatsId },
        mappingPolicy: { [`custom.${seatsId}`]: 'crm-to-qbo' },
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.settings.customFields).toEqual({ tier: tierId, seats: seatsId });
    const listed = await harness.request('GET', `/v1/connections/${connectionId}/custom-fields`);
    expect(listed.json.definitions.map((definition: { crmKey: string | null }) => definition.crmKey)).toEqual(
      ['tier', 'seats'],
    );
  });

  it('writes a mapped dropdown and number to QBO typed, and brings QBO’s dropdown change back', async () => {
    const stored = await put('crm-cf-1', {
      fields: { displayName: 'Tiered Customer' },
      customFields: { tier: 'Gold', seats: '12' },
    });
    expect(stored.status).toBe(202);
    expect(stored.json.customFields).toEqual({ tier: 'Gold', seats: 12 });
    const synced = await eventually(
      () => contact('crm-cf-1'),
      (body) => body.sync?.state === 'synced',
      45_000,
      'crm-cf-1 synced',
    );
    const customerId: string = synced.quickbooks.customerId;
    expect(await customerFields(customerId)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ DefinitionId: tierId, StringValue: 'Gold' }),
        expect.objectContaining({ DefinitionId: seatsId, NumberValue: 12 }),
      ]),
    );

    const current = (await qbo.read('Customer', customerId)).json.Customer;
    const edited = await qbo.write(
      'Customer',
      {
        Id: customerId,
        SyncToken: current.SyncToken,
        sparse: true,
        CustomField: [
          { DefinitionId: tierId, StringValue: 'Silver' },
          { DefinitionId: seatsId, NumberValue: 40 },
        ],
      },
      { operation: 'update' },
    );
    expect(edited.status).toBe(200);
    await harness.request('POST', `/v1/connections/${connectionId}/sync`);
    const after = await eventually(
      () => contact('crm-cf-1'),
      (body) => body.customFields?.tier === 'Silver',
      45_000,
      'QBO’s Tier change on the contact',
    );
    // Seats flows CRM → QBO only: QBO's edit of it does not reach the CRM.
    expect(after.customFields).toEqual({ tier: 'Silver', seats: 12 });
    // The QuickBooks section shows what QuickBooks holds.
    const section = await harness.request('GET', '/v1/contacts/crm-cf-1/quickbooks');
    expect(section.json.customer.customFields).toEqual({ tier: 'Silver', seats: 40 });
  }, 120_000);

  it('refuses a value the QBO dropdown does not offer before any QBO call, naming the field and options', async () => {
    const refused = await put('crm-cf-2', {
      fields: { displayName: 'Platinum Hopeful' },
      customFields: { tier: 'Platinum' },
    });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ code: 'invalid_custom_field', field: 'body.customFields.tier' });
    expect(refused.json.detail).toContain('"Platinum" is not an option of the QuickBooks dropdown "Tier"');
    expect(refused.json.detail).toContain('"Gold", "Silver"');
    expect((await harness.request('GET', '/v1/contacts/crm-cf-2')).status).toBe(404);

    // The same contact with an option QBO offers is written: once it is, the request log holds every write
    // this contact caused, and none carried the refused value.
    expect(
      (
        await put('crm-cf-2', {
          fields: { displayName: 'Platinum Hopeful' },
          customFields: { tier: 'Silver' },
        })
      ).status,
    ).toBe(202);
    const synced = await eventually(
      () => contact('crm-cf-2'),
      (body) => body.sync?.state === 'synced',
      45_000,
      'crm-cf-2 synced',
    );
    expect(await customerFields(synced.quickbooks.customerId)).toEqual([
      expect.objectContaining({ DefinitionId: tierId, StringValue: 'Silver' }),
    ]);
    const log = await requests();
    expect(log.some((request) => JSON.stringify(request.body ?? '').includes('Platinum Hopeful'))).toBe(true);
    expect(log.some((request) => JSON.stringify(request.body ?? '').includes('Platinum"'))).toBe(false);
  }, 120_000);

  it('refuses a number field given text', async () => {
    const refused = await put('crm-cf-3', {
      fields: { displayName: 'Seat Counter' },
      customFields: { seats: 'twelve' },
    });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ code: 'invalid_custom_field', field: 'body.customFields.seats' });
    expect(refused.json.detail).toContain(
      '"Seats" is a number field in QuickBooks; "twelve" is not a number',
    );
  });
});
