import { Types } from 'mongoose';
import { storeFieldMap, storeFields } from '../../../src/db/field-maps';
import { contactLineage } from '../../../src/contacts/lineage';
import type { ContactRecord, StoredBaseEntry } from '../../../src/contacts/model';
import type { StoredSyncEvent, SyncEventRecord } from '../../../src/history/sync-events';
import { customFieldsIn, toSyncFields } from '../../../src/sync/fields';

const t = (minute: number): Date => new Date(Date.UTC(2026, 2, 1, 10, minute));

function contact(
  fields: Record<string, string>,
  base: Record<string, StoredBaseEntry>,
  extra: { fromQbo?: Record<string, string>; held?: string[]; fieldChanges?: Record<string, Date> } = {},
): Pick<ContactRecord, 'crm' | 'sync' | 'link'> {
  return {
    crm: {
      fields: storeFields({
        ...toSyncFields(fields),
        ...Object.fromEntries(customFieldsIn(fields).map((field) => [field, fields[field]!])),
      }),
      updatedAt: t(0).toISOString(),
      receivedAt: t(0),
      version: 2,
      fieldChanges: storeFieldMap(
        Object.fromEntries(
          Object.entries(extra.fieldChanges ?? {}).map(([field, at]) => [field, { at, receivedAt: at }]),
        ),
      ),
    },
    sync: { version: 2, fromQbo: storeFields(extra.fromQbo ?? {}) },
    link: {
      qboCustomerId: '7',
      linkedBy: 'email',
      linkedAt: t(0),
      base: storeFieldMap(base),
      ...(extra.held
        ? {
            held: storeFieldMap(
              Object.fromEntries(
                extra.held.map((field) => [field, { qboValue: 'q', crmValue: 'c', eventId: 'e1' }]),
              ),
            ),
          }
        : {}),
    },
  };
}

function event(kind: SyncEventRecord['kind'], at: Date, fields: string[], detail = {}): StoredSyncEvent {
  return { _id: new Types.ObjectId(), connectionId: 'c1', crmContactId: 'p1', kind, fields, detail, at };
}

const entry = (value: string | null, from: StoredBaseEntry['from'], at: Date, agreedAt: Date) => ({
  value,
  from,
  at,
  agreedAt,
});

describe('a contact’s lineage', () => {
  it('names the PUT and the rule for a value the CRM set, and the webhook and SyncToken for QBO’s', () => {
    const written = event('updated_qbo', t(5), ['email'], {
      rules: { email: 'one_side_changed' },
      qboSyncToken: '3',
    });
    const pulled = event('updated_crm', t(9), ['phone'], {
      rules: { phone: 'most_recent' },
      qboSyncToken: '4',
      channel: 'webhook',
    });
    const conflict = event('conflict', t(9), ['phone'], { rule: 'most_recent', applied: 'qbo' });
    const lineage = contactLineage(
      contact(
        { email: 'ann@crm.example', phone: '555-0100' },
        {
          email: entry('ann@crm.example', 'crm', t(4), t(5)),
          phone: entry('555-0199', 'qbo', t(8), t(9)),
        },
        { fromQbo: { phone: '555-0199' }, fieldChanges: { email: t(4) } },
      ),
      [pulled, conflict, written],
      [],
    );
    const byField = new Map(lineage.map((field) => [field.field, field]));
    expect(byField.get('email')).toEqual({
      field: 'email',
      crmKey: null,
      value: 'ann@crm.example',
      state: 'synced',
      side: 'crm',
      setAt: t(4).toISOString(),
      agreedAt: t(5).toISOString(),
      rule: 'one_side_changed',
      change: {
        eventId: written._id.toHexString(),
        kind: 'updated_qbo',
        at: t(5).toISOString(),
        channel: 'put',
        qboSyncToken: '3',
        conflictEventId: null,
      },
      crmChange: { at: t(4).toISOString(), receivedAt: t(4).toISOString() },
    });
    expect(byField.get('phone')).toMatchObject({
      value: '555-0199',
      side: 'qbo',
      rule: 'most_recent',
      change: {
        eventId: pulled._id.toHexString(),
        kind: 'updated_crm',
        channel: 'webhook',
        qboSyncToken: '4',
        conflictEventId: conflict._id.toHexString(),
      },
    });
  });

  it('takes the change that agreed the value, not a later one that left it standing', () => {
    const agreeing = event('updated_crm', t(3), ['phone'], { rules: { phone: 'one_side_changed' } });
    // An older CRM edit lost to the agreed value: recorded, but the base kept its origin.
    const lost = event('conflict', t(7), ['phone'], { rule: 'older_than_base', applied: 'qbo' });
    const earlier = event('updated_crm', t(1), ['phone'], { rules: { phone: 'fill' } });
    const [phone] = contactLineage(
      contact({ phone: '555-0199' }, { phone: entry('555-0199', 'qbo', t(2), t(3)) }),
      [lost, agreeing, earlier],
      [],
    ).filter((field) => field.field === 'phone');
    expect(phone).toMatchObject({
      rule: 'one_side_changed',
      change: { eventId: agreeing._id.toHexString() },
    });
  });

  it('says created for the fields of a customer made from the contact', () => {
    const created = event('created', t(6), []);
    const lineage = contactLineage(
      contact({ displayName: 'Ann Lee' }, { displayName: entry('Ann Lee', 'crm', t(4), t(5)) }),
      [created],
      [],
    );
    expect(lineage.find((field) => field.field === 'displayName')).toMatchObject({
      state: 'synced',
      rule: 'created',
      change: { eventId: created._id.toHexString(), kind: 'created', channel: 'put' },
    });
  });

  it('marks a CRM value not agreed yet as pending, a held field as held, and a field without a base as unsynced', () => {
    const lineage = contactLineage(
      contact(
        { email: 'new@crm.example', phone: '555-0100', notes: 'hi' },
        { email: entry('old@crm.example', 'crm', t(1), t(2)), phone: entry('555-0100', 'both', t(1), t(1)) },
        { held: ['notes'] },
      ),
      [],
      [],
    );
    const state = (name: string) => lineage.find((field) => field.field === name);
    expect(state('email')).toMatchObject({ state: 'pending', value: 'new@crm.example', rule: null });
    expect(state('phone')).toMatchObject({ state: 'synced', rule: 'agreed', change: null });
    expect(state('notes')).toMatchObject({ state: 'held', side: null });
    expect(state('fax')).toMatchObject({ state: 'unsynced', value: null, side: null, rule: null });
    expect(lineage).toHaveLength(25);
  });

  it('traces the custom fields the connection maps like the fixed ones, under their CRM keys, and no others', () => {
    const pulled = event('updated_crm', t(9), ['custom.11'], {
      rules: { 'custom.11': 'one_side_changed' },
      qboSyncToken: '6',
      channel: 'cdc_poll',
    });
    const lineage = contactLineage(
      contact(
        { displayName: 'Ann', 'custom.11': 'Gold', 'custom.99': 'left over' },
        {
          'custom.11': entry('Silver', 'qbo', t(8), t(9)),
          // Agreed while custom.99 was mapped; the mapping has gone since.
          'custom.99': entry('left over', 'crm', t(1), t(2)),
        },
        { fromQbo: { 'custom.11': 'Silver' } },
      ),
      [pulled],
      [
        { crmKey: 'tier', field: 'custom.11' },
        { crmKey: 'seats', field: 'custom.12' },
      ],
    );
    expect(lineage.map((field) => field.field).slice(25)).toEqual(['custom.11', 'custom.12']);
    expect(lineage[25]).toEqual({
      field: 'custom.11',
      crmKey: 'tier',
      value: 'Silver',
      state: 'synced',
      side: 'qbo',
      setAt: t(8).toISOString(),
      agreedAt: t(9).toISOString(),
      rule: 'one_side_changed',
      change: {
        eventId: pulled._id.toHexString(),
        kind: 'updated_crm',
        at: t(9).toISOString(),
        channel: 'cdc_poll',
        qboSyncToken: '6',
        conflictEventId: null,
      },
      crmChange: null,
    });
    // Mapped, but neither side has given it a value yet.
    expect(lineage[26]).toMatchObject({ crmKey: 'seats', value: null, state: 'unsynced', change: null });
  });
});
