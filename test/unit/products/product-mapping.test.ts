import {
  describeReference,
  itemToProduct,
  lookUpProduct,
  productMatchKeys,
  type CatalogueEntry,
  type ProductReference,
} from '../../../src/sync/product-mapping';

const entry = (qboId: string, item: Record<string, unknown>): CatalogueEntry => ({
  qboId,
  product: itemToProduct({ Id: qboId, Name: `Item ${qboId}`, Type: 'Service', ...item }),
});

describe('products as the CRM sees them', () => {
  it('reads a QBO item, trimming text and keeping unit prices to seven decimals', () => {
    expect(
      itemToProduct({
        Id: '5',
        Name: ' Rock Fountain ',
        Sku: 'RF-275',
        Description: '',
        Type: 'Inventory',
        UnitPrice: 275.123456789,
        Taxable: true,
        IncomeAccountRef: { value: '2', name: 'Sales of Product Income' },
      }),
    ).toEqual({
      name: 'Rock Fountain',
      sku: 'RF-275',
      description: null,
      type: 'Inventory',
      unitPrice: 275.1234568,
      incomeAccount: { id: '2', name: 'Sales of Product Income' },
      taxable: true,
      salesTaxCode: null,
      active: true,
    });
    expect(itemToProduct({ Id: '9', Name: 'Old', Active: false })).toMatchObject({
      type: 'Service',
      unitPrice: null,
      active: false,
    });
  });

  it('matches SKUs case-insensitively and names as customer names are folded', () => {
    expect(productMatchKeys({ sku: ' rf-275 ', name: 'Rock Fountain, Inc.' })).toEqual({
      sku: 'rf-275',
      name: productMatchKeys({ sku: null, name: 'rock fountain' }).name,
    });
  });

  it.each<[string, ProductReference, { kind: string; qboId?: string }]>([
    ['by QBO id', { qboId: '2' }, { kind: 'found', qboId: '2' }],
    ['by SKU, ignoring case', { sku: 'gd-1' }, { kind: 'found', qboId: '2' }],
    ['by name, folded', { name: 'garden  design' }, { kind: 'found', qboId: '2' }],
    ['nothing under that SKU', { sku: 'NOPE' }, { kind: 'missing' }],
    ['a SKU two sellable items share', { sku: 'DUP' }, { kind: 'ambiguous' }],
    ['an inactive item', { name: 'Retired' }, { kind: 'unsellable' }],
    ['a category', { name: 'Plants' }, { kind: 'unsellable' }],
  ])('looks a product up %s', (_case, reference, expected) => {
    const catalogue = [
      entry('1', { Name: 'Services' }),
      entry('2', { Name: 'Garden Design', Sku: 'GD-1' }),
      entry('3', { Name: 'Dup A', Sku: 'DUP' }),
      entry('4', { Name: 'Dup B', Sku: 'dup' }),
      entry('5', { Name: 'Retired', Active: false }),
      entry('6', { Name: 'Plants', Type: 'Category' }),
    ];
    const found = lookUpProduct(reference, catalogue);
    expect(found.kind).toBe(expected.kind);
    if (found.kind === 'found') expect(found.entry.qboId).toBe(expected.qboId);
    if (found.kind === 'ambiguous') expect(found.qboIds).toEqual(['3', '4']);
    if (found.kind === 'unsellable') expect(found.reason).toMatch(/inactive|cannot be sold/);
  });

  it('prefers the one sellable item when an inactive one shares its SKU', () => {
    const found = lookUpProduct({ sku: 'X' }, [
      entry('1', { Sku: 'X', Active: false }),
      entry('2', { Sku: 'X' }),
    ]);
    expect(found).toMatchObject({ kind: 'found', entry: { qboId: '2' } });
  });

  it('describes a reference for messages', () => {
    expect(describeReference({ sku: 'RF-275' })).toBe('SKU "RF-275"');
    expect(describeReference({ qboId: '7' })).toBe('QuickBooks item 7');
    expect(describeReference({ name: 'Hours' })).toBe('"Hours"');
  });
});
