import { loadFields, storeFields } from '../../../src/db/field-maps';
import { emptySyncFields, toSyncFields } from '../../../src/sync/fields';

describe('synced fields as MongoDB stores them', () => {
  it('nests dotted names, since keys cannot hold dots, and round-trips exactly', () => {
    const fields = toSyncFields({
      displayName: 'Acme',
      email: 'a@b.co',
      'billingAddress.city': 'Austin',
      'shippingAddress.line1': null,
    });
    const stored = storeFields(fields);
    expect(Object.keys(stored).some((key) => key.includes('.'))).toBe(false);
    expect(stored.billingAddress).toMatchObject({ city: 'Austin' });
    expect(loadFields(stored)).toEqual(fields);
    expect(loadFields(storeFields(emptySyncFields()))).toEqual(emptySyncFields());
  });
});
