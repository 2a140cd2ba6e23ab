import { mergedContact, type ContactSyncRecord, type CrmContactRecord } from '../../../src/projections/crm';
import { storeFields } from '../../../src/projections/models';
import { toSyncFields, type SyncFields } from '../../../src/sync/fields';

const receivedAt = new Date('2026-03-01T10:00:00Z');
const contact: CrmContactRecord = {
  _id: 'c1:ann',
  connectionId: 'c1',
  crmContactId: 'ann',
  fields: storeFields(toSyncFields({ displayName: 'Ann Lee', phone: '555-0100', email: 'ann@acme.example' })),
  updatedAt: receivedAt.toISOString(),
  receivedAt,
};
const sync = (version: Date, extra: Partial<ContactSyncRecord> = {}): ContactSyncRecord => ({
  _id: contact._id,
  connectionId: 'c1',
  crmContactId: 'ann',
  version,
  // Only the fields QBO changed, as recordContactSync stores them.
  fromQbo: storeFields({ phone: '555-0199' } as SyncFields),
  ...extra,
});

describe('a contact as the CRM reads it', () => {
  it('is pending with the CRM’s fields before the engine has recorded anything', () => {
    expect(mergedContact(contact, null)).toMatchObject({ state: 'pending', fields: { phone: '555-0100' } });
  });

  it('shows QBO’s changes and the push’s outcome for the version they were recorded against', () => {
    const merged = mergedContact(contact, sync(receivedAt, { state: 'synced' }));
    expect(merged).toMatchObject({
      state: 'synced',
      fields: { phone: '555-0199', email: 'ann@acme.example' },
    });
  });

  it('is pending, with only the CRM’s fields, once a newer PUT replaced that version', () => {
    const older = new Date(receivedAt.getTime() - 1000);
    const merged = mergedContact(contact, sync(older, { state: 'rejected' }));
    expect(merged).toMatchObject({ state: 'pending', fields: { phone: '555-0100' } });
  });

  it('is pending while the version’s push has not ended, even with QBO’s changes in', () => {
    expect(mergedContact(contact, sync(receivedAt)).state).toBe('pending');
  });
});
