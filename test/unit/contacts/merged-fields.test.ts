import { storeFields } from '../../../src/db/field-maps';
import type { ContactRecord } from '../../../src/contacts/model';
import { outcomeIsCurrent } from '../../../src/contacts/model';
import { mergedFields } from '../../../src/contacts/store';
import { toSyncFields } from '../../../src/sync/fields';

const receivedAt = new Date('2026-03-01T10:00:00Z');
function contact(
  crmVersion: number,
  sync: Partial<ContactRecord['sync']> = {},
): Pick<ContactRecord, 'crm' | 'sync'> {
  return {
    crm: {
      fields: storeFields(
        toSyncFields({ displayName: 'Ann Lee', phone: '555-0100', email: 'ann@acme.example' }),
      ),
      updatedAt: receivedAt.toISOString(),
      receivedAt,
      version: crmVersion,
      fieldChanges: {},
    },
    // Only the fields QBO changed, as recordOutcome stores them.
    sync: { version: 2, fromQbo: storeFields({ phone: '555-0199' }), ...sync },
  };
}

describe('a contact as the CRM reads it', () => {
  it('shows QBO’s changes to the version they were merged into', () => {
    expect(mergedFields(contact(2))).toMatchObject({ phone: '555-0199', email: 'ann@acme.example' });
    expect(outcomeIsCurrent(contact(2))).toBe(true);
  });

  it('shows only the CRM’s fields once a newer version replaced that one', () => {
    expect(mergedFields(contact(3))).toMatchObject({ phone: '555-0100', email: 'ann@acme.example' });
    expect(outcomeIsCurrent(contact(3))).toBe(false);
  });

  it('has every sync field, empty where neither side has a value', () => {
    const fields = mergedFields(contact(2));
    expect(fields['billingAddress.city']).toBeNull();
    expect(Object.keys(fields)).toHaveLength(25);
  });
});
