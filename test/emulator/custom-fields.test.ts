import { http, startTestEmulator, type QboClient, type TestEmulator } from '../support/emulator';

/** The read query of Intuit's custom fields guide. */
const definitionsQuery = `
  query {
    appFoundationsCustomFieldDefinitions {
      edges {
        node {
          id
          legacyIDV2
          label
          associations {
            associatedEntity
            active
            validationOptions { required }
            allowedOperations
            associationCondition
            subAssociations { associatedEntity active allowedOperations }
          }
          dataType
          dropDownOptions { id value active order }
          active
          customFieldDefinitionMetaModel { suggested }
        }
      }
    }
  }`;

describe('emulator conformance: enhanced custom fields', () => {
  let emulator: TestEmulator;
  let qbo: QboClient;
  let customer: { Id: string };
  const ids: Record<string, string> = {};

  const define = (field: Record<string, unknown>) =>
    emulator.admin('POST', `/companies/${qbo.realmId}/custom-fields`, field);

  beforeAll(async () => {
    emulator = await startTestEmulator();
    qbo = await emulator.company({ companyName: 'Custom Fields Co' });
    customer = await qbo.create('Customer', { DisplayName: 'Field Tester' });
    const fields = [
      { label: 'Crew #', type: 'string', entities: ['Invoice', 'Estimate'] },
      { label: 'PO Number', type: 'string', entities: ['Invoice', 'SalesReceipt'] },
      { label: 'Project Code', type: 'string', entities: ['Invoice', 'Customer'] },
      { label: 'Site Contact', type: 'string', entities: ['Invoice'] },
      { label: 'Crew Size', type: 'number', entities: ['Invoice'] },
      { label: 'Install Date', type: 'date', entities: ['Invoice'] },
      { label: 'Region', type: 'dropdown', options: ['North', 'South'], entities: ['Invoice', 'Customer'] },
    ];
    for (const field of fields) {
      const created = await define(field);
      expect(created.status).toBe(201);
      ids[field.label] = created.json.legacyId;
    }
  });
  afterAll(() => emulator.close());

  const graphql = async (query: string, scopes: string[], variables?: unknown) => {
    const tokens = await emulator.admin('POST', `/companies/${qbo.realmId}/tokens`, { scopes });
    return http('POST', `${emulator.url}/graphql`, {
      body: { query, variables },
      headers: { Authorization: `Bearer ${tokens.json.access_token}` },
    });
  };

  it('reads the definitions through the App Foundations GraphQL API, with the custom-field scope', async () => {
    const response = await graphql(definitionsQuery, [
      'com.intuit.quickbooks.accounting',
      'app-foundations.custom-field-definitions.read',
    ]);
    expect(response.status).toBe(200);
    const nodes = response.json.data.appFoundationsCustomFieldDefinitions.edges.map((edge: any) => edge.node);
    expect(nodes).toHaveLength(7);
    expect(nodes[0]).toEqual({
      id: 'udcf_1',
      legacyIDV2: ids['Crew #'],
      label: 'Crew #',
      associations: [
        {
          associatedEntity: '/transactions/Transaction',
          active: true,
          validationOptions: { required: false },
          allowedOperations: [],
          associationCondition: 'INCLUDED',
          subAssociations: [
            { associatedEntity: 'SALE_INVOICE', active: true, allowedOperations: [] },
            { associatedEntity: 'SALE_ESTIMATE', active: true, allowedOperations: [] },
          ],
        },
      ],
      dataType: 'STRING',
      dropDownOptions: [],
      active: true,
      customFieldDefinitionMetaModel: { suggested: null },
    });
    const region = nodes.find((node: any) => node.label === 'Region');
    expect(region.dataType).toBe('STRING');
    expect(region.dropDownOptions.map((option: any) => option.value)).toEqual(['North', 'South']);
    expect(region.associations.map((association: any) => association.associatedEntity)).toEqual([
      '/transactions/Transaction',
      '/network/Contact',
    ]);
    expect(nodes.find((node: any) => node.label === 'Crew Size').dataType).toBe('NUMBER');
    expect(nodes.find((node: any) => node.label === 'Install Date').dataType).toBe('DATE');
  });

  it('pages with first/after, filters on active, and refuses a token without the scope', async () => {
    const scopes = ['app-foundations.custom-field-definitions'];
    const paged = await graphql(
      `
        query Page($after: String) {
          appFoundationsCustomFieldDefinitions(filters: { active: true }, first: 2, after: $after) {
            edges {
              node {
                label
              }
              cursor
            }
            pageInfo {
              hasNextPage
              endCursor
            }
          }
        }
      `,
      scopes,
      { after: 'udcf_2' },
    );
    const connection = paged.json.data.appFoundationsCustomFieldDefinitions;
    expect(connection.edges.map((edge: any) => edge.node.label)).toEqual(['Project Code', 'Site Contact']);
    expect(connection.pageInfo).toEqual({ hasNextPage: true, endCursor: 'udcf_4' });
    const invalid = await graphql(
      '{ appFoundationsCustomFieldDefinitions { edges { node { colour } } } }',
      scopes,
    );
    expect(invalid.json.errors[0].message).toContain('colour');
    const accountingOnly = await graphql(definitionsQuery, ['com.intuit.quickbooks.accounting']);
    expect(accountingOnly.status).toBe(403);
    const anonymous = await http('POST', `${emulator.url}/graphql`, { body: { query: definitionsQuery } });
    expect(anonymous.status).toBe(401);
  });

  it('writes typed values and shows them all with include=enhancedAllCustomFields', async () => {
    const created = await qbo.write(
      'Invoice',
      {
        CustomerRef: { value: customer.Id },
        Line: [
          { DetailType: 'SalesItemLineDetail', Amount: 10, SalesItemLineDetail: { ItemRef: { value: '2' } } },
        ],
        CustomField: [
          { DefinitionId: ids['Crew #'], StringValue: '102' },
          { DefinitionId: ids['Site Contact'], Type: 'StringType', StringValue: 'Marla' },
          { DefinitionId: ids['Crew Size'], NumberValue: 4 },
          { DefinitionId: ids['Install Date'], DateValue: '2026-04-01' },
          { DefinitionId: ids.Region, StringValue: 'North' },
        ],
      },
      { include: 'enhancedAllCustomFields' },
    );
    expect(created.status).toBe(200);
    const enhanced = created.json.Invoice.CustomField;
    expect(enhanced).toEqual([
      { DefinitionId: ids['Crew #'], Name: 'Crew #', Type: 'StringType', StringValue: '102' },
      { DefinitionId: ids['Site Contact'], Name: 'Site Contact', Type: 'StringType', StringValue: 'Marla' },
      { DefinitionId: ids['Crew Size'], Name: 'Crew Size', Type: 'NumberType', NumberValue: 4 },
      { DefinitionId: ids['Install Date'], Name: 'Install Date', Type: 'DateType', DateValue: '2026-04-01' },
      { DefinitionId: ids.Region, Name: 'Region', Type: 'StringType', StringValue: 'North' },
    ]);
    const id = created.json.Invoice.Id;
    // Without the include, the classic API: only the first three String fields ("Site Contact" is the fourth).
    const classic = (await qbo.read('Invoice', id)).json.Invoice.CustomField;
    expect(classic).toEqual([enhanced[0]]);
    const read = await qbo.request('GET', `/invoice/${id}`, {
      query: { include: 'enhancedAllCustomFields' },
    });
    expect(read.json.Invoice.CustomField).toEqual(enhanced);
    const queried = await qbo.request('GET', '/query', {
      query: { query: `select * from Invoice where Id = '${id}'`, include: 'enhancedAllCustomFields' },
    });
    expect(queried.json.QueryResponse.Invoice[0].CustomField).toEqual(enhanced);

    const updated = await qbo.write(
      'Invoice',
      {
        Id: id,
        SyncToken: '0',
        sparse: true,
        CustomField: [
          { DefinitionId: ids['Crew Size'], NumberValue: '6' },
          { DefinitionId: ids['Site Contact'], StringValue: '' },
        ],
      },
      { include: 'enhancedAllCustomFields' },
    );
    const values = updated.json.Invoice.CustomField;
    expect(values.find((value: any) => value.Name === 'Crew Size').NumberValue).toBe(6);
    expect(values.map((value: any) => value.Name)).toEqual(['Crew #', 'Crew Size', 'Install Date', 'Region']);
  });

  it('shows a customer its custom fields only through the enhanced API', async () => {
    const created = await qbo.create('Customer', {
      DisplayName: 'Enhanced Customer',
      CustomField: [
        { DefinitionId: ids['Project Code'], StringValue: 'P-9' },
        { DefinitionId: ids.Region, StringValue: 'South' },
      ],
    });
    expect(created.CustomField).toBeUndefined();
    const enhanced = await qbo.request('GET', `/customer/${created.Id}`, {
      query: { include: 'enhancedAllCustomFields' },
    });
    expect(enhanced.json.Customer.CustomField.map((value: any) => value.StringValue)).toEqual([
      'P-9',
      'South',
    ]);
  });

  it('refuses values of the wrong type, unknown options and fields that do not apply', async () => {
    const attempt = (CustomField: unknown[], entity = 'Invoice') =>
      qbo.write(entity, {
        CustomerRef: { value: customer.Id },
        Line: [
          { DetailType: 'SalesItemLineDetail', Amount: 1, SalesItemLineDetail: { ItemRef: { value: '2' } } },
        ],
        CustomField,
      });
    const cases: [unknown[], string, string][] = [
      [[{ DefinitionId: ids['Crew Size'], NumberValue: 'four' }], '6000', 'CustomField'],
      [[{ DefinitionId: ids['Crew Size'], StringValue: 'four' }], '6000', 'CustomField'],
      [[{ DefinitionId: ids['Install Date'], DateValue: '01/04/2026' }], '6000', 'CustomField'],
      [[{ DefinitionId: ids['Crew #'], NumberValue: 3 }], '6000', 'CustomField'],
      [[{ DefinitionId: ids.Region, StringValue: 'Antarctica' }], '6000', 'CustomField'],
      [[{ DefinitionId: '424242', StringValue: 'x' }], '2500', 'CustomField.DefinitionId'],
      [[{ StringValue: 'orphan' }], '2020', 'CustomField.DefinitionId'],
    ];
    for (const [fields, code, element] of cases) {
      const refused = await attempt(fields);
      expect([refused.status, refused.json.Fault.Error[0].code, refused.json.Fault.Error[0].element]).toEqual(
        [400, code, element],
      );
    }
    const wrongEntity = await attempt([{ DefinitionId: ids['Crew Size'], NumberValue: 1 }], 'SalesReceipt');
    expect(wrongEntity.json.Fault.Error[0]).toMatchObject({ code: '2500' });
    // python-quickbooks' blank CustomField object is ignored.
    const blank = await attempt([{ DefinitionId: '', Type: '', Name: '', StringValue: '' }]);
    expect(blank.status).toBe(200);
  });

  it('checks definitions made through the admin API', async () => {
    const noOptions = await define({ label: 'Colour', type: 'dropdown', entities: ['Invoice'] });
    expect(noOptions.status).toBe(400);
    expect(noOptions.json.field).toBe('options');
    const duplicate = await define({ label: 'crew #', type: 'string', entities: ['Invoice'] });
    expect(duplicate.status).toBe(409);
    const listed = await emulator.admin('GET', `/companies/${qbo.realmId}/custom-fields`);
    expect(listed.json.customFields).toHaveLength(7);
  });
});
