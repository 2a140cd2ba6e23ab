import { backfillProgress, type BackfillState } from '../../../src/console/backfill-progress';
import {
  byKindInWords,
  driftRateSeries,
  percent,
  transactionSampleRow,
  transactionsInWords,
} from '../../../src/console/drift';
import { fieldSides, flattenFields } from '../../../src/console/field-sides';
import { freshnessSeries } from '../../../src/console/freshness';
import { lineageRows } from '../../../src/console/lineage';
import { mappingChanges } from '../../../src/console/mapping-preview';

describe('backfillProgress', () => {
  const order = ['Customer', 'Invoice', 'Payment', 'Estimate'];
  const startedAt = '2026-12-07T10:00:00.000Z';
  const at = (seconds: number) => new Date(Date.parse(startedAt) + seconds * 1000);
  const state = (overrides: Partial<BackfillState>): BackfillState => ({
    status: 'running',
    startedAt,
    finishedAt: null,
    counts: {},
    entity: null,
    ...overrides,
  });

  it('is at 0 % with no estimate before the first page', () => {
    expect(backfillProgress(state({}), order, at(1))).toEqual({
      percent: 0,
      entities: order.map((name) => ({ name, read: 0, state: 'waiting' })),
      read: 0,
      recordsPerSecond: 0,
      secondsLeft: null,
    });
  });

  it('counts entity types done, reads the rate from the start, and estimates the rest from both', () => {
    const progress = backfillProgress(
      state({ entity: 'Payment', counts: { Customer: 600, Invoice: 300, Payment: 100 } }),
      order,
      at(100),
    );
    expect(progress.percent).toBe(50);
    expect(progress.entities.map((entity) => entity.state)).toEqual(['done', 'done', 'reading', 'waiting']);
    expect(progress.read).toBe(1000);
    expect(progress.recordsPerSecond).toBe(10);
    expect(progress.secondsLeft).toBe(100);
  });

  it('is at 100 % when done, with the rate over the backfill’s own duration', () => {
    const progress = backfillProgress(
      state({ status: 'done', finishedAt: at(50).toISOString(), counts: { Customer: 500 } }),
      order,
      at(5000),
    );
    expect(progress).toMatchObject({ percent: 100, recordsPerSecond: 10, secondsLeft: null });
    expect(progress.entities.every((entity) => entity.state === 'done')).toBe(true);
  });
});

describe('freshnessSeries', () => {
  const now = new Date('2026-12-07T12:30:00.000Z');
  const hour = 3_600_000;

  it('buckets lags per direction and hour, p50 and p95, leaving empty hours empty', () => {
    const series = freshnessSeries(
      [
        { kind: 'updated_crm', at: '2026-12-07T12:10:00.000Z', lagMs: 100 },
        { kind: 'updated_crm', at: '2026-12-07T12:20:00.000Z', lagMs: 300 },
        { kind: 'updated_qbo', at: '2026-12-07T11:05:00.000Z', lagMs: 50 },
        { kind: 'created', at: '2026-12-07T11:06:00.000Z', lagMs: 70 },
        // Not counted: no lag, another kind, outside the window.
        { kind: 'updated_crm', at: '2026-12-07T12:25:00.000Z', lagMs: null },
        { kind: 'conflict', at: '2026-12-07T12:25:00.000Z', lagMs: 9999 },
        { kind: 'updated_crm', at: '2026-12-07T09:00:00.000Z', lagMs: 9999 },
      ],
      now,
      { buckets: 3, bucketMs: hour },
    );
    expect(series.times).toEqual([
      Date.parse('2026-12-07T10:00:00Z') / 1000,
      Date.parse('2026-12-07T11:00:00Z') / 1000,
      Date.parse('2026-12-07T12:00:00Z') / 1000,
    ]);
    expect(series.qboToCrm).toEqual({ p50: [null, null, 100], p95: [null, null, 300] });
    expect(series.crmToQbo).toEqual({ p50: [null, 50, null], p95: [null, 70, null] });
  });
});

describe('fieldSides', () => {
  it('shows both values where a conflict is open, and the applied value on both sides elsewhere', () => {
    const applied = flattenFields({
      phone: '555-QBO',
      email: 'a@b.example',
      billingAddress: { city: 'Oslo' },
    });
    expect(applied).toEqual({ phone: '555-QBO', email: 'a@b.example', 'billingAddress.city': 'Oslo' });
    const sides = fieldSides(applied, [
      {
        fields: ['phone'],
        status: 'conflict',
        at: '2026-12-07T12:00:00Z',
        detail: { crmValue: '555-CRM', qboValue: '555-QBO' },
      },
      {
        fields: ['email'],
        status: 'resolved',
        at: '2026-12-07T11:00:00Z',
        detail: { crmValue: 'x@y', qboValue: 'z@w' },
      },
    ]);
    expect(sides).toEqual([
      {
        field: 'phone',
        crm: '555-CRM',
        qbo: '555-QBO',
        applied: '555-QBO',
        conflictAt: '2026-12-07T12:00:00Z',
      },
      { field: 'email', crm: 'a@b.example', qbo: 'a@b.example', applied: 'a@b.example', conflictAt: null },
      { field: 'billingAddress.city', crm: 'Oslo', qbo: 'Oslo', applied: 'Oslo', conflictAt: null },
    ]);
  });
});

describe('mappingChanges', () => {
  it('names what stops and starts flowing for each changed field only', () => {
    expect(
      mappingChanges(['email', 'phone', 'notes'], { notes: 'none' }, { email: 'qbo-to-crm', notes: 'both' }),
    ).toEqual([
      {
        field: 'email',
        from: 'both',
        to: 'qbo-to-crm',
        effects: ['the CRM’s changes to it will no longer be written to QuickBooks'],
      },
      {
        field: 'notes',
        from: 'none',
        to: 'both',
        effects: [
          'QuickBooks’ changes to it will reach the CRM',
          'the CRM’s changes to it will be written to QuickBooks',
          'edits on both sides are merged; QuickBooks wins a true conflict',
        ],
      },
    ]);
  });
});

describe('the drift audit in words', () => {
  it('shows a rate as a percentage with one decimal, never a small one as 0', () => {
    expect([0, 1, 1 / 3, 0.0004, 0.0005, null].map(percent)).toEqual([
      '0 %',
      '100 %',
      '33.3 %',
      '< 0.1 %',
      '0.1 %',
      '—',
    ]);
  });

  it('names every kind with its count, a missing kind as 0', () => {
    expect(byKindInWords({ projection_behind: 1, contact_differs: 2 })).toBe(
      '1 copy behind QuickBooks, 2 contacts differing from QuickBooks, 0 links to inactive customers, ' +
        '0 links to customers QuickBooks no longer has',
    );
  });

  it('puts the transactions’ counts in words', () => {
    expect(transactionsInWords({ read: 300, missing: 2, behind: 1, deleted: 0, healed: 3 })).toBe(
      '300 read: 2 missing from our copy, 1 behind QuickBooks, 0 deleted in QuickBooks but still in our copy; ' +
        '3 healed',
    );
  });

  it('names a transaction finding, what was found and what became of it', () => {
    expect(
      transactionSampleRow({ kind: 'transaction_behind', entity: 'Invoice', qboId: '130', healed: true }),
    ).toEqual({ transaction: 'Invoice 130', found: 'behind QuickBooks', outcome: 'Healed' });
    expect(
      transactionSampleRow({ kind: 'transaction_deleted', entity: 'Payment', qboId: '7', healed: false }),
    ).toEqual({ transaction: 'Payment 7', found: 'deleted in QuickBooks', outcome: 'Left for a person' });
  });

  it('plots the history, oldest first, as Unix seconds and percentages', () => {
    expect(
      driftRateSeries([
        { finishedAt: '2026-12-06T10:00:00.000Z', compared: 40, drifted: 2, healed: 2, rate: 0.05 },
        { finishedAt: '2026-12-07T10:00:00.500Z', compared: 40, drifted: 0, healed: 0, rate: 0 },
      ]),
    ).toEqual({ times: [1796551200, 1796637600.5], percent: [5, 0] });
  });
});

describe('lineageRows', () => {
  it('says where each value came from, naming a custom field by its CRM key and skipping fields without one', () => {
    const rows = lineageRows(
      [
        {
          field: 'phone',
          crmKey: null,
          value: '555-0100',
          state: 'synced',
          side: 'qbo',
          setAt: '2026-12-08T10:00:00.000Z',
          agreedAt: '2026-12-08T10:00:02.000Z',
          rule: 'most_recent',
          change: {
            eventId: 'se_1',
            kind: 'updated_crm',
            at: '2026-12-08T10:00:02.000Z',
            channel: 'webhook',
            qboSyncToken: '4',
            conflictEventId: 'se_0',
          },
          crmChange: null,
        },
        {
          field: 'custom.3',
          crmKey: 'tier',
          value: 'Gold',
          state: 'pending',
          side: 'crm',
          setAt: null,
          agreedAt: null,
          rule: null,
          change: null,
          crmChange: { at: '2026-12-08T10:05:00.000Z', receivedAt: '2026-12-08T10:05:00.100Z' },
        },
        {
          field: 'fax',
          crmKey: null,
          value: null,
          state: 'unsynced',
          side: null,
          setAt: null,
          agreedAt: null,
          rule: null,
          change: null,
          crmChange: null,
        },
      ],
      (iso) => `at ${iso}`,
    );
    expect(rows).toEqual([
      [
        'phone',
        '555-0100',
        'in sync',
        'QuickBooks',
        'at 2026-12-08T10:00:00.000Z',
        'a QuickBooks webhook (QuickBooks version 4)',
        'both changed: the more recent change won',
      ],
      ['tier (custom field)', 'Gold', 'pending: the CRM’s value is on its way', 'the CRM', '—', '—', '—'],
    ]);
  });
});
