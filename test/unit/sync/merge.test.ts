import { toSyncFields, type SyncFieldName, type SyncFields } from '../../../src/sync/fields';
import type { MappingPolicy } from '../../../src/sync/mapping-policy';
import {
  baseWithUnconfirmedWrites,
  mergeContact,
  qboChangesCarriedOver,
  snapshotAfter,
  type MergeInput,
} from '../../../src/sync/merge';

const base = toSyncFields({
  givenName: 'Ann',
  familyName: 'Lee',
  displayName: 'Ann Lee',
  email: 'ann@acme.example',
  phone: '555-0100',
  notes: 'VIP',
  'billingAddress.city': 'Oslo',
});

const earlier = '2026-03-01T10:00:00Z';
const later = '2026-03-01T10:00:01Z';

function merge(
  overrides: Partial<MergeInput> & { qbo?: SyncFields; crm?: SyncFields },
): ReturnType<typeof mergeContact> {
  return mergeContact({
    base,
    qbo: base,
    crm: base,
    qboUpdatedAt: earlier,
    crmUpdatedAt: earlier,
    ...overrides,
  });
}

const withField = (field: SyncFieldName, value: string | null): SyncFields => ({ ...base, [field]: value });

describe('three-way merge with a base', () => {
  it('does nothing when neither side changed', () => {
    expect(merge({})).toEqual({ merged: base, toQbo: {}, toCrm: {}, conflicts: [] });
  });

  // [case, QBO value, CRM value, merged ('null' = cleared), toQbo, toCrm, conflict?]; the base phone is 555-0100.
  const table: [
    string,
    string | null,
    string | null,
    string,
    Partial<SyncFields>,
    Partial<SyncFields>,
    boolean,
  ][] = [
    ['changed in QBO only → QBO', '555-0199', '555-0100', '555-0199', {}, { phone: '555-0199' }, false],
    ['changed in the CRM only → CRM', '555-0100', '555-0177', '555-0177', { phone: '555-0177' }, {}, false],
    ['cleared in QBO only → cleared in the CRM', null, '555-0100', 'null', {}, { phone: null }, false],
    ['cleared in the CRM only → cleared in QBO', '555-0100', null, 'null', { phone: null }, {}, false],
    ['changed on both sides to the same value → nothing', '555-0111', '555-0111', '555-0111', {}, {}, false],
    [
      'changed on both sides differently → conflict, QBO wins',
      '555-0111',
      '555-0122',
      '555-0111',
      {},
      { phone: '555-0111' },
      true,
    ],
  ];
  it.each(table)('%s', (_name, qboValue, crmValue, merged, toQbo, toCrm, conflict) => {
    const result = merge({ qbo: withField('phone', qboValue), crm: withField('phone', crmValue) });
    expect(result.merged.phone).toBe(merged === 'null' ? null : merged);
    expect(result.toQbo).toEqual(toQbo);
    expect(result.toCrm).toEqual(toCrm);
    expect(result.conflicts).toEqual(
      conflict ? [{ field: 'phone', qboValue, crmValue, baseValue: '555-0100', applied: 'qbo' }] : [],
    );
  });

  it('lets QBO win a conflict whatever the timestamps say', () => {
    const result = merge({
      qbo: withField('email', 'ann@qbo.example'),
      crm: withField('email', 'ann@crm.example'),
      qboUpdatedAt: earlier,
      crmUpdatedAt: '2026-03-09T00:00:00Z',
    });
    expect(result.merged.email).toBe('ann@qbo.example');
    expect(result.toCrm).toEqual({ email: 'ann@qbo.example' });
    expect(result.toQbo).toEqual({});
    expect(result.conflicts).toHaveLength(1);
  });

  it('merges field by field: one-sided changes on both sides are not a conflict', () => {
    const result = merge({
      qbo: { ...base, 'billingAddress.city': 'Bergen', notes: 'VIP, pays late' },
      crm: { ...base, phone: '555-0177', 'billingAddress.postalCode': '5003' },
    });
    expect(result.conflicts).toEqual([]);
    expect(result.toCrm).toEqual({ 'billingAddress.city': 'Bergen', notes: 'VIP, pays late' });
    expect(result.toQbo).toEqual({ phone: '555-0177', 'billingAddress.postalCode': '5003' });
    expect(result.merged).toEqual({
      ...base,
      'billingAddress.city': 'Bergen',
      notes: 'VIP, pays late',
      phone: '555-0177',
      'billingAddress.postalCode': '5003',
    });
  });

  it('does not count cosmetic differences as changes', () => {
    const result = merge({
      qbo: { ...base, email: 'ANN@ACME.EXAMPLE', givenName: ' Ann ' },
      crm: {
        ...base,
        familyName: 'Lee  ',
        displayName: 'Ann  Lee',
        phone: '555-0100 ',
      },
    });
    expect(result.toQbo).toEqual({});
    expect(result.toCrm).toEqual({});
    expect(result.conflicts).toEqual([]);
  });

  it('treats an empty string and null as the same (no change, no conflict)', () => {
    const emptyBase = { ...base, fax: null };
    const result = merge({
      base: emptyBase,
      qbo: { ...emptyBase, fax: '' },
      crm: { ...emptyBase, fax: '  ' },
    });
    expect(result.toQbo).toEqual({});
    expect(result.toCrm).toEqual({});
  });

  it('suppresses echoes: our own write coming back from QBO flows nowhere', () => {
    // The CRM changed the phone; we wrote it to QBO and stored the snapshot.
    const first = merge({ crm: withField('phone', '555-0177') });
    expect(first.toQbo).toEqual({ phone: '555-0177' });
    const snapshot = snapshotAfter(first);
    // QBO's CDC/webhook now reports the customer with our value (and a newer timestamp).
    const echo = mergeContact({
      base: snapshot,
      qbo: { ...snapshot, phone: '555-0177' },
      crm: withField('phone', '555-0177'),
      qboUpdatedAt: '2026-03-01T10:05:00Z',
      crmUpdatedAt: earlier,
    });
    expect(echo.toCrm).toEqual({});
    expect(echo.toQbo).toEqual({});
    expect(echo.conflicts).toEqual([]);
  });

  it('suppresses echoes even when QBO gives our value back in another spelling', () => {
    const first = merge({ crm: withField('email', 'Ann@New.Example') });
    const echo = mergeContact({
      base: snapshotAfter(first),
      qbo: withField('email', 'ann@new.example'),
      crm: withField('email', 'Ann@New.Example'),
      qboUpdatedAt: later,
      crmUpdatedAt: earlier,
    });
    expect(echo.toCrm).toEqual({});
  });

  it('never sends an empty DisplayName to QBO: QBO keeps its name and the CRM gets it back', () => {
    const result = merge({ crm: withField('displayName', null) });
    expect(result.toQbo).toEqual({});
    expect(result.toCrm).toEqual({ displayName: 'Ann Lee' });
    expect(result.merged.displayName).toBe('Ann Lee');
  });
});

describe('writes of ours that QBO may have committed unseen', () => {
  const sent = { phone: '555-0101', notes: 'VIP, net 30' };

  it('counts the fields QBO holds as we sent them as agreed, so a newer CRM edit wins without a conflict', () => {
    const qbo = { ...base, ...sent };
    const result = merge({
      base: baseWithUnconfirmedWrites(base, [sent], qbo),
      qbo,
      crm: { ...base, ...sent, phone: '555-0102' },
      qboUpdatedAt: later,
      crmUpdatedAt: earlier,
    });
    expect(result).toMatchObject({ toQbo: { phone: '555-0102' }, toCrm: {}, conflicts: [] });
  });

  it('compares normalised values, as QBO may spell them otherwise', () => {
    const qbo = { ...base, phone: ' 555-0101 ', notes: 'VIP, net 30' };
    expect(baseWithUnconfirmedWrites(base, [sent], qbo)).toEqual({ ...base, ...sent });
  });

  it('leaves the base alone where QBO holds something else: the write did not commit, or was edited after', () => {
    const qbo = { ...base, phone: '555-0199' };
    const adjusted = baseWithUnconfirmedWrites(base, [sent], qbo);
    expect(adjusted).toEqual(base);
    const result = merge({ base: adjusted, qbo, crm: { ...base, phone: '555-0102' } });
    expect(result.conflicts).toHaveLength(1);
  });

  it('still knows an older write as ours after a newer one was sent, whichever of them QBO holds', () => {
    const older = { phone: '555-0101' };
    const newer = { phone: '555-0102' };
    const crm = { ...base, phone: '555-0103' };
    for (const held of ['555-0101', '555-0102']) {
      const qbo = { ...base, phone: held };
      const result = merge({ base: baseWithUnconfirmedWrites(base, [older, newer], qbo), qbo, crm });
      expect(result).toMatchObject({ toQbo: { phone: '555-0103' }, conflicts: [] });
    }
  });
});

describe('QBO changes merged into a contact version the CRM has since replaced', () => {
  const fromQbo = { phone: '555-0199', notes: 'VIP, net 30' };

  it('carry over to the fields the newer version left as they were', () => {
    const newer = { ...base, email: 'ann@lee.example', notes: 'VIP, net 60' };
    expect(qboChangesCarriedOver(fromQbo, base, newer)).toEqual({ phone: '555-0199' });
  });

  it('compare normalised values, so a respelt but equal field still takes QBO’s change', () => {
    const newer = { ...base, phone: ' 555-0100 ' };
    expect(qboChangesCarriedOver(fromQbo, base, newer)).toEqual(fromQbo);
  });

  it('carry nothing when the CRM changed every field QBO did', () => {
    const newer = { ...base, phone: '555-0102', notes: null };
    expect(qboChangesCarriedOver(fromQbo, base, newer)).toEqual({});
  });
});

describe('first link (no base)', () => {
  const qbo = toSyncFields({ displayName: 'Ann Lee', email: 'ann@qbo.example', phone: '555-0100' });
  const crm = toSyncFields({ displayName: 'Ann Lee', email: 'ann@crm.example', mobile: '555-0200' });

  it('takes differing fields from the side updated more recently (CRM newer)', () => {
    const result = mergeContact({ base: null, qbo, crm, qboUpdatedAt: earlier, crmUpdatedAt: later });
    expect(result.toQbo).toEqual({ email: 'ann@crm.example', phone: null, mobile: '555-0200' });
    expect(result.toCrm).toEqual({});
    expect(result.conflicts).toEqual([]);
    expect(result.merged).toEqual(crm);
  });

  it('takes differing fields from the side updated more recently (QBO newer)', () => {
    const result = mergeContact({ base: null, qbo, crm, qboUpdatedAt: later, crmUpdatedAt: earlier });
    expect(result.toCrm).toEqual({ email: 'ann@qbo.example', phone: '555-0100', mobile: null });
    expect(result.toQbo).toEqual({});
    expect(result.conflicts).toEqual([]);
    expect(result.merged).toEqual(qbo);
  });

  it('gives a tie to QBO, comparing instants rather than strings', () => {
    const tie = mergeContact({
      base: null,
      qbo,
      crm,
      qboUpdatedAt: '2026-03-01T03:00:00-07:00',
      crmUpdatedAt: '2026-03-01T10:00:00.000Z',
    });
    expect(tie.toCrm).toEqual({ email: 'ann@qbo.example', phone: '555-0100', mobile: null });
    expect(tie.toQbo).toEqual({});
    // "…-07:00" is later than "…Z" as a string but earlier as an instant.
    const crmNewer = mergeContact({
      base: null,
      qbo,
      crm,
      qboUpdatedAt: '2026-03-01T03:00:00-07:00',
      crmUpdatedAt: '2026-03-01T10:00:01Z',
    });
    expect(crmNewer.toQbo).toEqual({ email: 'ann@crm.example', phone: null, mobile: '555-0200' });
  });

  it('lets a valid timestamp beat an unparseable one, and two bad ones tie to QBO', () => {
    expect(
      mergeContact({ base: null, qbo, crm, qboUpdatedAt: 'garbage', crmUpdatedAt: later }).toQbo,
    ).toEqual({
      email: 'ann@crm.example',
      phone: null,
      mobile: '555-0200',
    });
    expect(mergeContact({ base: null, qbo, crm, qboUpdatedAt: '', crmUpdatedAt: 'x' }).toQbo).toEqual({});
  });

  it('leaves equal fields alone', () => {
    const same = toSyncFields({ displayName: 'Ann Lee', email: 'Ann@X.example' });
    const result = mergeContact({
      base: null,
      qbo: same,
      crm: { ...same, email: 'ann@x.example' },
      qboUpdatedAt: earlier,
      crmUpdatedAt: later,
    });
    expect(result.toQbo).toEqual({});
    expect(result.toCrm).toEqual({});
  });
});

describe('mapping policy in the merge', () => {
  const qbo = withField('notes', 'from QBO');
  const crm = withField('notes', 'from CRM');

  it('qbo-to-crm: never written to QBO; QBO always wins, without a conflict', () => {
    const policy: MappingPolicy = { notes: 'qbo-to-crm' };
    const result = merge({ qbo, crm, policy });
    expect(result.toQbo).toEqual({});
    expect(result.toCrm).toEqual({ notes: 'from QBO' });
    expect(result.conflicts).toEqual([]);
    // A CRM-only change is overwritten rather than sent.
    const crmOnly = merge({ crm, policy });
    expect(crmOnly.toQbo).toEqual({});
    expect(crmOnly.toCrm).toEqual({ notes: 'VIP' });
  });

  it('crm-to-qbo: never written to the CRM; the CRM always wins, without a conflict', () => {
    const policy: MappingPolicy = { notes: 'crm-to-qbo' };
    const result = merge({ qbo, crm, policy });
    expect(result.toCrm).toEqual({});
    expect(result.toQbo).toEqual({ notes: 'from CRM' });
    expect(result.conflicts).toEqual([]);
    expect(result.merged.notes).toBe('from CRM');
    const qboOnly = merge({ qbo, policy });
    expect(qboOnly.toQbo).toEqual({ notes: 'VIP' });
    expect(qboOnly.toCrm).toEqual({});
  });

  it('none: left alone on both sides; the merged contact keeps the CRM value', () => {
    const result = merge({ qbo, crm, policy: { notes: 'none' } });
    expect(result.toQbo).toEqual({});
    expect(result.toCrm).toEqual({});
    expect(result.conflicts).toEqual([]);
    expect(result.merged.notes).toBe('from CRM');
  });

  it('applies one-way directions on first link too', () => {
    const result = mergeContact({
      base: null,
      qbo,
      crm,
      qboUpdatedAt: later,
      crmUpdatedAt: earlier,
      policy: { notes: 'crm-to-qbo' },
    });
    expect(result.toQbo).toEqual({ notes: 'from CRM' });
  });

  it('does not touch other fields', () => {
    const result = merge({ qbo: { ...qbo, phone: '1' }, crm, policy: { notes: 'none' } });
    expect(result.toCrm).toEqual({ phone: '1' });
  });
});

describe('snapshotAfter', () => {
  it('is the merged contact, as a copy', () => {
    const result = merge({ crm: withField('phone', '1') });
    const snapshot = snapshotAfter(result);
    expect(snapshot).toEqual(result.merged);
    expect(snapshot).not.toBe(result.merged);
  });

  it('makes the next merge of unchanged data a no-op, conflicts included', () => {
    const result = merge({ qbo: withField('phone', 'Q'), crm: withField('phone', 'C') });
    expect(result.conflicts).toHaveLength(1);
    // After the CRM receives QBO's value, both sides equal the snapshot.
    const next = mergeContact({
      base: snapshotAfter(result),
      qbo: withField('phone', 'Q'),
      crm: withField('phone', 'Q'),
      qboUpdatedAt: later,
      crmUpdatedAt: later,
    });
    expect(next).toEqual({ merged: snapshotAfter(result), toQbo: {}, toCrm: {}, conflicts: [] });
  });
});
