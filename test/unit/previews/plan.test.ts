import { storeFieldMap, storeFields } from '../../../src/db/field-maps';
import { newContactRecord } from '../../../src/contacts/store';
import { matchEvidence } from '../../../src/contacts/setup-match';
import type { ContactRecord } from '../../../src/contacts/model';
import {
  entryFingerprint,
  mappingEffects,
  planContacts,
  type PlanContact,
  type PlanCustomer,
} from '../../../src/previews/plan';
import { toSyncFields, type SyncFields } from '../../../src/sync/fields';

const now = new Date('2026-06-01T12:00:00Z');
const connection = { _id: 'conn_1', settings: {} } as never;

/** A connection mapping the CRM key `tier` to QBO's dropdown custom field 11, under `mappingPolicy`. */
const tier = 'custom.11';
const withTier = (mappingPolicy: Record<string, string>) =>
  ({
    _id: 'conn_1',
    settings: { mappingPolicy: storeFieldMap(mappingPolicy), customFields: { tier: '11' } },
    customFieldDefinitions: {
      definitions: [{ id: '11', label: 'Tier', type: 'dropdown', options: ['Gold', 'Silver'] }],
      refreshedAt: now,
    },
  }) as never;

const customer = (
  qboId: string,
  fields: Partial<Record<string, string | null>>,
  extra: Partial<PlanCustomer> = {},
): PlanCustomer => ({
  qboId,
  fields: storeFields(fields),
  fieldTimes: {},
  lastUpdatedTime: '2026-01-01T00:00:00Z',
  active: true,
  syncToken: 0,
  ...extra,
});

const contact = (
  crmContactId: string,
  fields: Partial<SyncFields>,
  extra: Partial<PlanContact> = {},
): PlanContact => ({
  crmContactId,
  fields: toSyncFields(fields),
  updatedAt: '2026-05-01T00:00:00Z',
  ...extra,
});

const plan = (
  contacts: PlanContact[],
  customers: PlanCustomer[],
  options: { linkedTo?: Map<string, string>; stored?: Map<string, ContactRecord> } = {},
) =>
  planContacts({
    connection,
    contacts,
    customers,
    linkedTo: options.linkedTo ?? new Map(),
    stored: options.stored ?? new Map(),
    now,
  });

describe('planContacts', () => {
  it('matches by email before name, never a linked or inactive customer, and reports the evidence', () => {
    const [byEmail, byName, linkedAway, inactive] = plan(
      [
        contact('a', { displayName: 'Someone Else', email: 'ANN@example.com' }),
        contact('b', { companyName: 'Bravo & Sons LLC' }),
        contact('c', { displayName: 'Linked Co' }),
        contact('d', { displayName: 'Sleeping Co' }),
      ],
      [
        customer('1', { displayName: 'Ann', email: 'ann@example.com' }),
        customer('2', { displayName: 'Bravo and Sons' }),
        customer('3', { displayName: 'Linked Co' }),
        customer('4', { displayName: 'Sleeping Co' }, { active: false }),
      ],
      { linkedTo: new Map([['3', 'someone']]) },
    );
    expect(byEmail).toMatchObject({ outcome: 'would_match', qboCustomerId: '1', by: 'email' });
    expect(byEmail!.evidence).toEqual({ agrees: ['email'], differs: ['name'], confidence: 0.45 });
    expect(byName).toMatchObject({ outcome: 'would_match', qboCustomerId: '2', by: 'name' });
    // A name taken by a customer nobody may match is a create QBO would refuse (6240).
    expect(linkedAway).toMatchObject({
      outcome: 'would_duplicate',
      reason: 'display_name_taken',
      qboCustomerId: '3',
    });
    expect(inactive).toMatchObject({
      outcome: 'would_duplicate',
      reason: 'display_name_taken',
      qboCustomerId: '4',
      createdAs: 'Sleeping Co (d)',
    });
  });

  it('flags two contacts on one customer, two new ones by one name, and ambiguous keys', () => {
    const entries = plan(
      [
        contact('a', { email: 'x@example.com', displayName: 'X' }),
        contact('b', { email: 'x@example.com', displayName: 'Another X' }),
        contact('c', { displayName: 'Fresh Name', email: 'fresh@example.com' }),
        contact('d', { displayName: 'fresh name ' }),
        contact('e', { displayName: 'Twin' }),
      ],
      [
        customer('1', { email: 'x@example.com', displayName: 'X Ltd' }),
        customer('2', { displayName: 'Twin' }),
        customer('3', { companyName: 'Twin' }),
      ],
    );
    expect(
      entries.map((entry) => [entry.outcome, entry.reason ?? null, entry.otherContactId ?? null]),
    ).toEqual([
      ['would_match', null, null],
      ['would_duplicate', 'same_customer', 'a'],
      ['would_create', null, null],
      ['would_duplicate', 'same_customer', 'c'],
      ['would_duplicate', 'ambiguous_match', null],
    ]);
    expect(entries[4]!.candidates).toEqual(['2', '3']);
  });

  it('fails what QBO would refuse, a stale version, and a pinned customer that is missing or taken', () => {
    const stored = newContactRecord(
      'conn_1',
      'stale',
      { fields: toSyncFields({ displayName: 'S' }), updatedAt: '2026-05-20T00:00:00Z' },
      now,
      5000,
    );
    const entries = plan(
      [
        contact('bad', { displayName: 'Tab\there', email: 'no-at-sign' }),
        contact('nameless', { notes: 'just notes' }),
        contact('stale', { displayName: 'S' }),
        contact('pin-missing', { displayName: 'P' }, { qboCustomerId: '99' }),
        contact('pin-taken', { displayName: 'Q' }, { qboCustomerId: '1' }),
      ],
      [customer('1', { displayName: 'One' })],
      { linkedTo: new Map([['1', 'holder']]), stored: new Map([['stale', stored]]) },
    );
    expect(entries.every((entry) => entry.outcome === 'would_fail')).toBe(true);
    expect(entries[0]!.problems!.map((problem) => problem.field)).toEqual([
      'fields.displayName',
      'fields.email',
    ]);
    expect(entries[1]!.problems).toEqual([
      { field: 'fields.displayName', problem: expect.stringContaining('display name') },
    ]);
    expect(entries[2]!.problems![0]!.field).toBe('updatedAt');
    expect(entries[3]!.problems![0]!.problem).toContain('no QuickBooks customer 99');
    expect(entries[4]!.problems![0]!.problem).toContain('linked to contact holder');
  });

  it('predicts the first merge of a match, and its fingerprint ignores versions but not predictions', () => {
    const [entry] = plan(
      [contact('a', { displayName: 'Ann', email: 'ann@example.com', phone: '555 0100' })],
      [customer('1', { displayName: 'Ann', email: 'ann@example.com', website: 'https://ann.example' })],
    );
    expect(entry!.changes).toEqual({ toQbo: ['phone'], toCrm: ['website'] });
    expect(entryFingerprint({ ...entry!, customerSyncToken: 7 })).toBe(entryFingerprint(entry!));
    expect(entryFingerprint({ ...entry!, qboCustomerId: '2' })).not.toBe(entryFingerprint(entry!));
  });
});

describe('matchEvidence', () => {
  it('folds phones and addresses, and halves the confidence for each signal that differs', () => {
    const evidence = matchEvidence(
      {
        displayName: 'Acme Inc.',
        phone: '+1 (555) 010-2000',
        'billingAddress.line1': '1 Main St.',
        'billingAddress.postalCode': '94 105',
      },
      {
        displayName: 'ACME',
        phone: '555.010.2000',
        'billingAddress.line1': '1 main st',
        'billingAddress.postalCode': '94105',
        email: 'a@x.com',
      },
    );
    expect(evidence).toEqual({ agrees: ['name', 'phone', 'address'], differs: [], confidence: 0.88 });
    expect(
      matchEvidence({ email: 'a@x.com', phone: '555 010 2000' }, { email: 'a@x.com', phone: '555 010 9999' }),
    ).toEqual({
      agrees: ['email'],
      differs: ['phone'],
      confidence: 0.45,
    });
  });
});

describe('mappingEffects', () => {
  it('counts the fields a re-enabled direction would write, beyond what the sync writes anyway', () => {
    const record = newContactRecord(
      'conn_1',
      'a',
      {
        fields: toSyncFields({ displayName: 'Ann', website: 'https://crm.example' }),
        updatedAt: '2026-05-01T00:00:00Z',
      },
      now,
      5000,
    );
    const linked: ContactRecord = {
      ...record,
      linkKey: 'conn_1:1',
      link: {
        qboCustomerId: '1',
        linkedBy: 'email',
        linkedAt: now,
        base: { displayName: { value: 'Ann', at: now, from: 'both', agreedAt: now } },
      },
    };
    const current = { _id: 'conn_1', settings: { mappingPolicy: { website: 'none' } } } as never;
    const effects = mappingEffects(
      [{ contact: linked, customer: customer('1', { displayName: 'Ann' }) }],
      current,
      { mappingPolicy: {} },
      now,
    );
    expect(effects).toEqual({
      fields: [{ field: 'website', side: 'qbo', records: 1, samples: ['a'] }],
      contacts: ['a'],
    });
    expect(
      mappingEffects(
        [{ contact: linked, customer: customer('1', { displayName: 'Ann' }) }],
        current,
        { mappingPolicy: { website: 'none' } },
        now,
      ),
    ).toEqual({ fields: [], contacts: [] });
  });

  it('counts a mapped custom field’s direction changes as a fixed field’s, after the fixed fields', () => {
    const linkedWith = (crmContactId: string, fields: Record<string, string | null>): ContactRecord => {
      const record = newContactRecord(
        'conn_1',
        crmContactId,
        {
          fields: { ...toSyncFields({ displayName: crmContactId }), ...fields },
          updatedAt: '2026-05-01T00:00:00Z',
        },
        now,
        5000,
      );
      return {
        ...record,
        linkKey: `conn_1:${crmContactId}`,
        link: { qboCustomerId: crmContactId, linkedBy: 'email', linkedAt: now, base: {} },
      };
    };
    const linked = [
      // The CRM holds a tier QBO does not: under qbo-to-crm nothing is written (an empty value is no clear).
      {
        contact: linkedWith('a', { website: 'https://a.example', [tier]: 'Gold' }),
        customer: customer('a', { displayName: 'a' }),
      },
      // Both hold the same tier: no side is written, whatever the direction.
      {
        contact: linkedWith('b', { [tier]: 'Silver' }),
        customer: customer('b', { displayName: 'b', [tier]: 'Silver' }),
      },
    ];
    const current = withTier({ website: 'none', [tier]: 'qbo-to-crm' });
    const { fields, contacts } = mappingEffects(
      linked,
      current,
      { mappingPolicy: { [tier]: 'crm-to-qbo' } },
      now,
    );
    expect(fields).toEqual([
      { field: 'website', side: 'qbo', records: 1, samples: ['a'] },
      { field: tier, side: 'qbo', records: 1, samples: ['a'] },
    ]);
    expect(contacts).toEqual(['a']);
    // A custom field the connection does not map is not synced under any direction.
    const unmapped = {
      _id: 'conn_1',
      settings: { mappingPolicy: storeFieldMap({ website: 'none', [tier]: 'none' }) },
    } as never;
    expect(mappingEffects(linked, unmapped, { mappingPolicy: {} }, now).fields).toEqual([
      { field: 'website', side: 'qbo', records: 1, samples: ['a'] },
    ]);
  });
});

describe('planContacts with mapped custom fields', () => {
  const plannedWith = (
    contacts: PlanContact[],
    customers: PlanCustomer[],
    stored = new Map<string, ContactRecord>(),
  ) => planContacts({ connection: withTier({}), contacts, customers, linkedTo: new Map(), stored, now });

  it('predicts a first merge’s custom field writes, keeping the stored values a version leaves out', () => {
    const stored = newContactRecord(
      'conn_1',
      'kept',
      {
        fields: { ...toSyncFields({ displayName: 'Kept' }), [tier]: 'Gold' },
        updatedAt: '2026-04-01T00:00:00Z',
      },
      now,
      5000,
    );
    const [sent, fromQbo, kept] = plannedWith(
      [
        contact('sent', { displayName: 'Sent' }, { customFields: { tier: 'Gold' } }),
        contact('from-qbo', { displayName: 'From QBO' }),
        contact('kept', { displayName: 'Kept' }),
      ],
      [
        customer('1', { displayName: 'Sent' }),
        customer('2', { displayName: 'From QBO', [tier]: 'Silver' }),
        customer('3', { displayName: 'Kept' }),
      ],
      new Map([['kept', stored]]),
    );
    expect(sent).toMatchObject({ outcome: 'would_match', changes: { toQbo: [tier], toCrm: [] } });
    expect(fromQbo).toMatchObject({ outcome: 'would_match', changes: { toQbo: [], toCrm: [tier] } });
    expect(kept).toMatchObject({ outcome: 'would_match', changes: { toQbo: [tier], toCrm: [] } });
  });

  it('fails a value the definition refuses and a key the connection does not map, naming each', () => {
    const [option, unmapped] = plannedWith(
      [
        contact('option', { displayName: 'Option' }, { customFields: { tier: 'Platinum' } }),
        contact('unmapped', { displayName: 'Unmapped' }, { customFields: { colour: 'red' } }),
      ],
      [],
    );
    expect(option).toMatchObject({
      outcome: 'would_fail',
      problems: [{ field: 'customFields.tier', problem: expect.stringContaining('not an option') }],
    });
    expect(unmapped).toMatchObject({
      outcome: 'would_fail',
      problems: [
        { field: 'customFields.colour', problem: expect.stringContaining('no QuickBooks custom field') },
      ],
    });
  });
});
