import { customerDefinitionsOf, definitionsPageSchema } from '../../../src/qbo/custom-field-definitions';

const customer = {
  associatedEntity: '/network/Contact',
  active: true,
  subAssociations: [{ associatedEntity: 'CUSTOMER', active: true }],
};
const invoice = {
  associatedEntity: '/transactions/Transaction',
  active: true,
  subAssociations: [{ associatedEntity: 'SALE_INVOICE', active: true }],
};

function page(nodes: Record<string, unknown>[]) {
  return {
    data: {
      appFoundationsCustomFieldDefinitions: {
        edges: nodes.map((node) => ({ node })),
        pageInfo: { hasNextPage: false, endCursor: null },
      },
    },
  };
}

describe('customerDefinitionsOf', () => {
  it('keeps the active customer definitions with a legacy id, typed, dropdowns with their active options in order', () => {
    const definitions = customerDefinitionsOf(
      definitionsPageSchema.parse(
        page([
          {
            legacyIDV2: '1',
            label: 'Tier',
            dataType: 'STRING',
            active: true,
            dropDownOptions: [
              { value: 'Silver', active: true, order: 1 },
              { value: 'Gold', active: true, order: 0 },
              { value: 'Tin', active: false, order: 2 },
            ],
            associations: [customer],
          },
          {
            legacyIDV2: '2',
            label: 'Seats',
            dataType: 'NUMBER',
            active: true,
            dropDownOptions: [],
            associations: [customer],
          },
          { legacyIDV2: '3', label: 'Renewal', dataType: 'DATE', active: true, associations: [customer] },
          {
            legacyIDV2: '4',
            label: 'Region',
            dataType: 'STRING',
            active: true,
            associations: [customer, invoice],
          },
          { legacyIDV2: '5', label: 'Crew', dataType: 'STRING', active: true, associations: [invoice] },
          { legacyIDV2: '6', label: 'Old', dataType: 'STRING', active: false, associations: [customer] },
          { legacyIDV2: null, label: 'New', dataType: 'STRING', active: true, associations: [customer] },
        ]),
      ),
    );
    expect(definitions).toEqual([
      { id: '1', label: 'Tier', type: 'dropdown', options: ['Gold', 'Silver'] },
      { id: '2', label: 'Seats', type: 'number', options: [] },
      { id: '3', label: 'Renewal', type: 'date', options: [] },
      { id: '4', label: 'Region', type: 'string', options: [] },
    ]);
  });
});
