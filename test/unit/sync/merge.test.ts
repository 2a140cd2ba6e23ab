import fc from 'fast-check';
import {
  normaliseValue,
  syncFieldNames,
  toSyncFields,
  type SyncFieldName,
  type SyncFields,
} from '../../../src/sync/fields';
import {
  baseWithUnconfirmedWrites,
  mergeContact,
  type BaseEntry,
  type FieldTimes,
  type MergeBase,
  type MergeInput,
  type MergeResult,
} from '../../../src/sync/merge';

const agreed = toSyncFields({
  givenName: 'Ann',
  familyName: 'Lee',
  displayName: 'Ann Lee',
  email: 'ann@acme.example',
  phone: '555-0100',
  notes: 'VIP',
  'billingAddress.city': 'Oslo',
});

const t = (time: string): number => Date.parse(`2026-03-01T${time}Z`);
const baseAt = t('09:00:00');
const tolerance = 5_000;

/** A base entry for each field of `fields`, set at `at` by `from` and agreed then. */
function baseOf(fields: Partial<SyncFields>, at = baseAt, from: BaseEntry['from'] = 'qbo'): MergeBase {
  return Object.fromEntries(
    Object.entries(fields).map(([name, value]) => [name, { value, at, from, agreedAt: at }]),
  );
}

/** Base agreed at 09:00; both sides hold it unless told otherwise; each side's change at 10:00 by default. */
function merge(overrides: {
  base?: MergeBase;
  qbo?: Partial<SyncFields>;
  crm?: Partial<SyncFields>;
  qboAt?: number;
  crmAt?: number;
  extra?: Partial<MergeInput>;
}): MergeResult {
  const base = overrides.base ?? baseOf(agreed);
  const times = (fields: Partial<SyncFields>, at: number): FieldTimes =>
    Object.fromEntries(Object.keys(fields).map((field) => [field, at]));
  return mergeContact({
    base,
    qbo: {
      fields: { ...agreed, ...overrides.qbo },
      times: { ...times(agreed, baseAt), ...times(overrides.qbo ?? {}, overrides.qboAt ?? t('10:00:00')) },
      updatedAt: overrides.qboAt ?? t('10:00:00'),
    },
    crm: {
      fields: { ...agreed, ...overrides.crm },
      times: { ...times(agreed, baseAt), ...times(overrides.crm ?? {}, overrides.crmAt ?? t('10:00:00')) },
      updatedAt: overrides.crmAt ?? t('10:00:00'),
    },
    skewToleranceMs: tolerance,
    now: t('12:00:00'),
    ...overrides.extra,
  });
}

const valuesOf = (base: MergeBase): Partial<SyncFields> =>
  Object.fromEntries(Object.entries(base).map(([name, entry]) => [name, entry?.value]));

describe('three-way merge with a base', () => {
  it('does nothing when neither side changed', () => {
    const result = merge({});
    expect(result).toMatchObject({ toQbo: {}, toCrm: {}, conflicts: [], held: [] });
    expect(valuesOf(result.merged)).toEqual(agreed);
  });

  // [case, QBO phone, CRM phone, QBO time, CRM time, toQbo, toCrm, conflict rule]; the base phone is 555-0100.
  const table: [
    string,
    string | null,
    string | null,
    string,
    string,
    Partial<SyncFields>,
    Partial<SyncFields>,
    string | null,
  ][] = [
    [
      'changed in QBO only → QBO',
      '555-0199',
      '555-0100',
      '10:00:00',
      '09:00:00',
      {},
      { phone: '555-0199' },
      null,
    ],
    [
      'changed in the CRM only → CRM',
      '555-0100',
      '555-0177',
      '09:00:00',
      '10:00:00',
      { phone: '555-0177' },
      {},
      null,
    ],
    [
      'cleared in QBO only → cleared in the CRM',
      null,
      '555-0100',
      '10:00:00',
      '09:00:00',
      {},
      { phone: null },
      null,
    ],
    [
      'cleared in the CRM only → cleared in QBO',
      '555-0100',
      null,
      '09:00:00',
      '10:00:00',
      { phone: null },
      {},
      null,
    ],
    ['same change on both sides → nothing', '555-0111', '555-0111', '10:00:00', '10:05:00', {}, {}, null],
    [
      'both changed, the CRM later → CRM',
      '555-0111',
      '555-0122',
      '10:01:00',
      '10:05:00',
      { phone: '555-0122' },
      {},
      'most_recent',
    ],
    [
      'both changed, QBO later → QBO',
      '555-0111',
      '555-0122',
      '10:05:00',
      '10:01:00',
      {},
      { phone: '555-0111' },
      'most_recent',
    ],
    [
      'both changed within the tolerance → QBO',
      '555-0111',
      '555-0122',
      '10:00:00',
      '10:00:04',
      {},
      { phone: '555-0111' },
      'tie_qbo_wins',
    ],
    [
      'a CRM change within the tolerance of the base → the base (QBO holds it)',
      '555-0100',
      '555-0122',
      '09:00:00',
      '09:00:03',
      {},
      { phone: '555-0100' },
      'tie_qbo_wins',
    ],
  ];
  it.each(table)('%s', (_name, qboPhone, crmPhone, qboAt, crmAt, toQbo, toCrm, conflictRule) => {
    const result = merge({
      qbo: { phone: qboPhone },
      crm: { phone: crmPhone },
      qboAt: t(qboAt),
      crmAt: t(crmAt),
    });
    expect(result.toQbo).toEqual(toQbo);
    expect(result.toCrm).toEqual(toCrm);
    expect(result.conflicts.map((conflict) => conflict.rule)).toEqual(conflictRule ? [conflictRule] : []);
  });

  it('records both values, both times, the rule and what was applied', () => {
    const result = merge({
      qbo: { email: 'ann@qbo.example' },
      crm: { email: 'ann@crm.example' },
      qboAt: t('10:01:00'),
      crmAt: t('10:05:00'),
    });
    expect(result.conflicts).toEqual([
      {
        field: 'email',
        qboValue: 'ann@qbo.example',
        crmValue: 'ann@crm.example',
        baseValue: 'ann@acme.example',
        qboChangedAt: '2026-03-01T10:01:00.000Z',
        crmChangedAt: '2026-03-01T10:05:00.000Z',
        rule: 'most_recent',
        applied: 'crm',
        appliedValue: 'ann@crm.example',
      },
    ]);
    expect(result.toQbo).toEqual({ email: 'ann@crm.example' });
  });

  it('records a conflict when a late CRM edit older than the agreed value arrives after the agreement', () => {
    const base = { ...baseOf(agreed), ...baseOf({ phone: '555-0199' }, t('10:01:00'), 'qbo') };
    const crm = {
      fields: { ...agreed, phone: '555-0177' },
      times: { phone: t('08:59:00') },
      updatedAt: t('08:59:00'),
    };
    const lateEdit = mergeContact({
      base,
      qbo: {
        fields: { ...agreed, phone: '555-0199' },
        times: { phone: t('10:01:00') },
        updatedAt: t('10:01:00'),
      },
      crm: { ...crm, receivedAt: { phone: t('10:02:00') } },
      skewToleranceMs: tolerance,
      now: t('10:03:00'),
    });
    expect(lateEdit.toQbo).toEqual({});
    expect(lateEdit.toCrm).toEqual({ phone: '555-0199' });
    expect(lateEdit.conflicts).toMatchObject([{ field: 'phone', rule: 'older_than_base', applied: 'qbo' }]);
    // The same value received before the agreement is the CRM not having caught up: brought up to date, silently.
    const caughtUp = mergeContact({
      base,
      qbo: {
        fields: { ...agreed, phone: '555-0199' },
        times: { phone: t('10:01:00') },
        updatedAt: t('10:01:00'),
      },
      crm: { ...crm, receivedAt: { phone: t('08:59:30') } },
      skewToleranceMs: tolerance,
      now: t('10:03:00'),
    });
    expect(caughtUp.toCrm).toEqual({ phone: '555-0199' });
    expect(caughtUp.conflicts).toEqual([]);
  });

  it('merges field by field: one-sided changes on both sides are not a conflict', () => {
    const result = merge({
      qbo: { 'billingAddress.city': 'Bergen', notes: 'VIP, pays late' },
      crm: { phone: '555-0177', 'billingAddress.postalCode': '5003' },
    });
    expect(result.conflicts).toEqual([]);
    expect(result.toCrm).toEqual({ 'billingAddress.city': 'Bergen', notes: 'VIP, pays late' });
    expect(result.toQbo).toEqual({ phone: '555-0177', 'billingAddress.postalCode': '5003' });
  });

  it('does not count cosmetic differences as changes', () => {
    const result = merge({
      qbo: { email: 'ANN@ACME.EXAMPLE', givenName: ' Ann ' },
      crm: { familyName: 'Lee  ', displayName: 'Ann  Lee', phone: '555-0100 ' },
    });
    expect(result.toQbo).toEqual({});
    expect(result.toCrm).toEqual({});
  });

  it('never clears DisplayName in QBO: the CRM gets QBO’s name back', () => {
    const result = merge({ crm: { displayName: null } });
    expect(result.toQbo).toEqual({});
    expect(result.toCrm).toEqual({ displayName: 'Ann Lee' });
  });
});

describe('which CRM values an agreement has seen', () => {
  /** Phone agreed as 555-0118 from the CRM version received at 10:00:00, recorded at 10:00:02. */
  const seenAt = t('10:00:00');
  const base: MergeBase = {
    ...baseOf(agreed),
    phone: { value: '555-0118', at: t('09:59:59'), from: 'crm', agreedAt: t('10:00:02'), crmSeenAt: seenAt },
  };
  const mergeWithCrmPhone = (phone: string, receivedAt: number) =>
    mergeContact({
      base,
      qbo: {
        fields: { ...agreed, phone: '555-0118' },
        times: { phone: t('10:00:02') },
        updatedAt: t('10:00:02'),
      },
      crm: {
        fields: { ...agreed, phone },
        times: { phone: receivedAt },
        updatedAt: receivedAt,
        receivedAt: { phone: receivedAt },
        seenAt: receivedAt,
      },
      skewToleranceMs: tolerance,
      now: t('10:00:05'),
    });

  it('takes a CRM value received after the version the agreement was merged from, though before it was recorded', () => {
    // The push merged version 5 (555-0118) and wrote it; version 6 (555-0119) was received at 10:00:01, while the
    // push was under way, and stored after the push had read the contact.
    const result = mergeWithCrmPhone('555-0119', t('10:00:01'));
    expect(result.toQbo).toEqual({ phone: '555-0119' });
    expect(result.toCrm).toEqual({});
    expect(result.rules.phone).toBe('one_side_changed');
    expect(result.merged.phone).toMatchObject({ value: '555-0119', from: 'crm', crmSeenAt: t('10:00:01') });
  });

  it('still catches the CRM up on a value it sent before the agreement’s version', () => {
    const result = mergeWithCrmPhone('555-0117', t('09:59:30'));
    expect(result.toCrm).toEqual({ phone: '555-0118' });
    expect(result.toQbo).toEqual({});
    expect(result.rules.phone).toBe('catch_up');
  });

  it('falls back to the time the agreement was recorded for a base stored before it said which version it saw', () => {
    const { crmSeenAt: _, ...older } = base.phone!;
    const result = mergeContact({
      base: { ...base, phone: older },
      qbo: { fields: { ...agreed, phone: '555-0118' }, times: {}, updatedAt: t('10:00:02') },
      crm: {
        fields: { ...agreed, phone: '555-0119' },
        times: { phone: t('10:00:01') },
        updatedAt: t('10:00:01'),
        receivedAt: { phone: t('10:00:01') },
      },
      skewToleranceMs: tolerance,
      now: t('10:00:05'),
    });
    expect(result.rules.phone).toBe('catch_up');
  });
});

describe('per-field policies', () => {
  const bothChanged = {
    qbo: { phone: '555-0111' },
    crm: { phone: '555-0122' },
    qboAt: t('10:05:00'),
    crmAt: t('10:01:00'),
  };

  it('crm_wins and qbo_wins decide a both-sides change whatever the times', () => {
    expect(merge({ ...bothChanged, extra: { conflicts: { phone: 'crm_wins' } } })).toMatchObject({
      toQbo: { phone: '555-0122' },
      conflicts: [{ rule: 'crm_wins', applied: 'crm' }],
    });
    expect(
      merge({
        ...bothChanged,
        qboAt: t('10:01:00'),
        crmAt: t('10:05:00'),
        extra: { conflicts: { phone: 'qbo_wins' } },
      }),
    ).toMatchObject({ toCrm: { phone: '555-0111' }, conflicts: [{ rule: 'qbo_wins', applied: 'qbo' }] });
  });

  it('manual holds the field: nothing is written, both values wait for a person', () => {
    const result = merge({ ...bothChanged, extra: { conflicts: { phone: 'manual' } } });
    expect(result.toQbo).toEqual({});
    expect(result.toCrm).toEqual({});
    expect(result.held).toEqual(['phone']);
    expect(result.merged).not.toHaveProperty('phone');
    expect(result.conflicts).toMatchObject([
      { field: 'phone', qboValue: '555-0111', crmValue: '555-0122', rule: 'manual', applied: null },
    ]);
  });

  it('applies a person’s decision to both sides, whatever either holds by now', () => {
    const result = merge({
      qbo: { phone: '555-0111' },
      extra: { decided: { phone: { side: 'crm', value: '555-0122' } } },
    });
    expect(result.toQbo).toEqual({ phone: '555-0122' });
    expect(result.toCrm).toEqual({ phone: '555-0122' });
    expect(result.rules.phone).toBe('person');
    expect(result.merged.phone).toMatchObject({ value: '555-0122', from: 'crm' });
    expect(result.conflicts).toEqual([]);
  });

  it('manual still lets a one-sided change through', () => {
    const result = merge({ crm: { phone: '555-0122' }, extra: { conflicts: { phone: 'manual' } } });
    expect(result.toQbo).toEqual({ phone: '555-0122' });
    expect(result.held).toEqual([]);
  });

  it('one-way directions write one way only, and an unsynced field keeps no base', () => {
    const qboOnly = merge({ crm: { phone: '555-0122' }, extra: { directions: { phone: 'qbo-to-crm' } } });
    expect(qboOnly.toQbo).toEqual({});
    expect(qboOnly.toCrm).toEqual({ phone: '555-0100' });
    const none = merge({
      qbo: { phone: '555-0111' },
      crm: { phone: '555-0122' },
      extra: { directions: { phone: 'none' } },
    });
    expect(none.toQbo).toEqual({});
    expect(none.toCrm).toEqual({});
    expect(none.merged).not.toHaveProperty('phone');
    expect(none.conflicts).toEqual([]);
  });
});

describe('a first link (no base)', () => {
  const firstLink = (qbo: Partial<SyncFields>, crm: Partial<SyncFields>, qboAt: string, crmAt: string) =>
    mergeContact({
      base: {},
      qbo: { fields: toSyncFields(qbo), times: {}, updatedAt: t(qboAt) },
      crm: { fields: toSyncFields(crm), times: {}, updatedAt: t(crmAt) },
      skewToleranceMs: tolerance,
      now: t('12:00:00'),
    });

  it('fills an empty side from the other, even when the empty side is newer: it never clears', () => {
    const result = firstLink(
      { displayName: 'Ann Lee' },
      { displayName: 'Ann Lee', notes: 'VIP, met at trade show' },
      '10:05:00',
      '10:00:00',
    );
    expect(result.toQbo).toEqual({ notes: 'VIP, met at trade show' });
    expect(result.toCrm).toEqual({});
    expect(result.conflicts).toEqual([]);
  });

  it('gives two different values to the more recent side, and records it', () => {
    const result = firstLink({ email: 'a@qbo.example' }, { email: 'a@crm.example' }, '10:00:00', '10:05:00');
    expect(result.toQbo).toEqual({ email: 'a@crm.example' });
    expect(result.conflicts).toMatchObject([{ field: 'email', rule: 'most_recent', applied: 'crm' }]);
  });

  it('lets the CRM change a field both sides agreed on at the link, however soon after QBO’s record time', () => {
    // A customer made (or matched) at 10:00:03 from the contact's phone: QBO's time is its record's, not a change.
    const linked = firstLink({ phone: '555-0100' }, { phone: '555-0100' }, '10:00:03', '10:00:00');
    expect(linked.merged.phone).toMatchObject({ value: '555-0100', from: 'both' });
    const next = mergeContact({
      base: linked.merged,
      qbo: { fields: toSyncFields({ phone: '555-0100' }), times: {}, updatedAt: t('10:00:03') },
      crm: {
        fields: toSyncFields({ phone: '555-0199' }),
        times: { phone: t('10:00:05') },
        updatedAt: t('10:00:05'),
      },
      skewToleranceMs: tolerance,
      now: t('12:00:01'),
    });
    expect(next.toQbo).toEqual({ phone: '555-0199' });
    expect(next.rules.phone).toBe('one_side_changed');
    expect(next.conflicts).toEqual([]);
  });
});

describe('unconfirmed writes', () => {
  it('treats a value QBO holds exactly as one of our unanswered writes sent as agreed', () => {
    const qbo = { ...agreed, phone: '555-0150' };
    const sent = [
      { fields: { phone: '555-0150' }, at: t('10:00:00'), sentAt: t('10:00:01') },
      { fields: { email: 'x@y.example' }, at: t('10:00:00'), sentAt: t('10:00:01') },
    ];
    const adjusted = baseWithUnconfirmedWrites(baseOf(agreed), sent, qbo);
    expect(valuesOf(adjusted)).toEqual({ ...agreed, phone: '555-0150' });
    expect(adjusted.phone).toMatchObject({ from: 'crm', at: t('10:00:00') });
  });

  it('keeps which CRM version an unanswered write came from, so a later edit received meanwhile still counts', () => {
    // 555-0150 was merged from the version received at 10:00:00 and sent at 10:00:02; 555-0151 was received at
    // 10:00:01, before the write was sent but after the version it came from.
    const qbo = { ...agreed, phone: '555-0150' };
    const sent = [
      { fields: { phone: '555-0150' }, at: t('09:59:59'), sentAt: t('10:00:02'), crmSeenAt: t('10:00:00') },
    ];
    const adjusted = baseWithUnconfirmedWrites(baseOf(agreed), sent, qbo);
    expect(adjusted.phone).toMatchObject({ value: '555-0150', crmSeenAt: t('10:00:00') });
    const result = mergeContact({
      base: adjusted,
      qbo: { fields: qbo, times: { phone: t('10:00:02') }, updatedAt: t('10:00:02') },
      crm: {
        fields: { ...agreed, phone: '555-0151' },
        times: { phone: t('10:00:01') },
        updatedAt: t('10:00:01'),
        receivedAt: { phone: t('10:00:01') },
        seenAt: t('10:00:01'),
      },
      skewToleranceMs: tolerance,
      now: t('10:00:05'),
    });
    expect(result.toQbo).toEqual({ phone: '555-0151' });
  });
});

// ─── Properties over generated base/QBO/CRM triples ──────────────────────────────────────────────────────────────

const field: SyncFieldName = 'phone';
const valueArb = fc.constantFrom<string | null>(null, '555-0100', '555-0111', '555-0122');
/** Seconds after 09:00, so ties within the tolerance come up often. */
const secondsArb = (max: number) =>
  fc.integer({ min: 0, max }).map((seconds) => t('09:00:00') + seconds * 1000);

interface Triple {
  base: BaseEntry | undefined;
  q: string | null;
  qAt: number;
  c: string | null;
  cAt: number;
}

const single = ({ base, q, qAt, c, cAt }: Triple, now = t('12:00:00')): MergeResult =>
  mergeContact({
    base: base === undefined ? {} : { [field]: base },
    qbo: { fields: toSyncFields({ [field]: q }), times: { [field]: qAt }, updatedAt: qAt },
    crm: { fields: toSyncFields({ [field]: c }), times: { [field]: cAt }, updatedAt: cAt },
    skewToleranceMs: tolerance,
    now,
  });

/** The value each side holds once the merge's writes are made. */
const outcome = (result: MergeResult, { q, c }: Pick<Triple, 'q' | 'c'>) => ({
  qbo: field in result.toQbo ? (result.toQbo[field] ?? null) : q,
  crm: field in result.toCrm ? (result.toCrm[field] ?? null) : c,
});

const tripleArb: fc.Arbitrary<Triple> = fc
  .record({
    base: fc.option(
      fc.record({
        value: valueArb,
        at: secondsArb(60),
        from: fc.constantFrom<BaseEntry['from']>('qbo', 'crm', 'both'),
        cleared: fc.boolean(),
      }),
      { nil: undefined },
    ),
    q: valueArb,
    qAt: secondsArb(600),
    c: valueArb,
    cAt: secondsArb(600),
  })
  .map(({ base, q, qAt, c, cAt }) => {
    const entry: BaseEntry | undefined = base && {
      value: base.value,
      at: base.at,
      from: base.from,
      agreedAt: base.at,
      ...(base.value === null && base.cleared ? { cleared: true } : {}),
    };
    // Changes come after the base; a side still holding the base value set it when the base was set.
    const after = (value: string | null, at: number) =>
      entry === undefined ? at : value === entry.value ? entry.at : Math.max(at, entry.at);
    return { base: entry, q, qAt: after(q, qAt), c, cAt: after(c, cAt) };
  });

describe('merge properties (generated triples)', () => {
  it('leaves both sides holding the same value', () => {
    fc.assert(
      fc.property(tripleArb, (triple) => {
        const { qbo, crm } = outcome(single(triple), triple);
        expect(normaliseValue(field, qbo)).toBe(normaliseValue(field, crm));
      }),
      { numRuns: 5000 },
    );
  });

  it('never lets an empty value replace a filled one unless a person cleared it', () => {
    fc.assert(
      fc.property(tripleArb, (triple) => {
        const { qbo } = outcome(single(triple), triple);
        if (qbo !== null || (triple.q === null && triple.c === null)) return;
        // Empty while one side held a value: the other side cleared a filled base, or holds an agreed clear.
        const { base } = triple;
        expect(base).toBeDefined();
        expect(base!.value !== null || base!.cleared === true).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('gives a both-sides change to the more recent side outside the tolerance, and to QBO within it', () => {
    fc.assert(
      fc.property(tripleArb, (triple) => {
        const { base, q, qAt, c, cAt } = triple;
        if (base === undefined || q === base.value || c === base.value || q === c) return;
        // A clear only beats a filled value when it empties a filled base.
        if ((q === null || c === null) && base.value === null && !base.cleared) return;
        const { qbo } = outcome(single(triple), triple);
        if (Math.abs(qAt - cAt) <= tolerance) expect(qbo).toBe(q);
        else expect(qbo).toBe(cAt > qAt ? c : q);
      }),
      { numRuns: 5000 },
    );
  });

  it('ends the same whichever of two changes is seen first', () => {
    fc.assert(
      fc.property(tripleArb, (triple) => {
        const { base, q, qAt, c, cAt } = triple;
        if (base === undefined) return;
        const together = outcome(single(triple), triple).qbo;
        // One side's change merged while the other still holds the base; then the other side's change, if it made
        // one, merged against the base that produced (both sides hold the agreed value, set at its time).
        const thenOther = (first: 'qbo' | 'crm'): string | null => {
          const firstTriple =
            first === 'qbo'
              ? { base, q, qAt, c: base.value, cAt: base.at }
              : { base, q: base.value, qAt: base.at, c, cAt };
          const step = single(firstTriple, t('11:00:00'));
          const agreedNow = step.merged[field];
          const held = outcome(step, firstTriple).qbo;
          const otherChanged = first === 'qbo' ? c !== base.value : q !== base.value;
          if (!otherChanged || !agreedNow) return held;
          const second =
            first === 'qbo'
              ? { base: agreedNow, q: held, qAt: agreedNow.at, c, cAt }
              : { base: agreedNow, q, qAt, c: held, cAt: agreedNow.at };
          return outcome(single(second), second).qbo;
        };
        expect(normaliseValue(field, thenOther('qbo'))).toBe(normaliseValue(field, together));
        expect(normaliseValue(field, thenOther('crm'))).toBe(normaliseValue(field, together));
      }),
      { numRuns: 5000 },
    );
  });

  it('decides every field on its own: the other fields do not change one field’s outcome', () => {
    fc.assert(
      fc.property(
        tripleArb,
        fc.constantFrom(...syncFieldNames.filter((name) => name !== field)),
        (triple, other) => {
          const alone = outcome(single(triple), triple);
          const result = mergeContact({
            base: {
              ...(triple.base ? { [field]: triple.base } : {}),
              [other]: { value: 'x', at: baseAt, from: 'both', agreedAt: baseAt },
            },
            qbo: {
              fields: toSyncFields({ [field]: triple.q, [other]: 'y' }),
              times: { [field]: triple.qAt },
              updatedAt: t('10:00:00'),
            },
            crm: {
              fields: toSyncFields({ [field]: triple.c, [other]: 'z' }),
              times: { [field]: triple.cAt },
              updatedAt: t('10:00:00'),
            },
            skewToleranceMs: tolerance,
            now: t('12:00:00'),
          });
          expect(outcome(result, triple)).toEqual(alone);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
