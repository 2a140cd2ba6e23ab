import { defaultFollowUpPolicy, followUpPolicySchema } from '../../../src/followups/policy';
import {
  addDays,
  cancelReason,
  daysBetween,
  digestId,
  dueFollowUp,
  followUpId,
} from '../../../src/followups/stages';
import { deletedView } from '../../../src/sync/transactions';
import { view } from './support';

const policy = defaultFollowUpPolicy;
const invoice = (record: Parameters<typeof view>[1] = {}) =>
  view('Invoice', { TotalAmt: 100, Balance: 100, DueDate: '2026-03-01', ...record });

describe('dates', () => {
  it('counts calendar days across months and years', () => {
    expect(daysBetween('2026-02-27', '2026-03-02')).toBe(3);
    expect(daysBetween('2025-12-31', '2026-01-01')).toBe(1);
    expect(daysBetween('2026-03-02', '2026-03-01')).toBe(-1);
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
  });
});

describe('dueFollowUp: overdue invoices', () => {
  it.each([
    ['2026-03-01', null],
    ['2026-03-02', 'overdue-1'],
    ['2026-03-07', 'overdue-1'],
    ['2026-03-08', 'overdue-7'],
    ['2026-03-15', 'overdue-14'],
    ['2026-03-31', 'overdue-30'],
    ['2026-06-01', 'overdue-30'],
  ])('on %s the stage is %s', (today, stage) => {
    expect(dueFollowUp(invoice(), policy, today)?.stage ?? null).toBe(stage);
  });

  it('counts the days overdue, judged by the date given rather than the stored status', () => {
    // Applied while it was still open; the due date has passed since.
    const stored = invoice({ DueDate: '2026-03-10' });
    expect(stored.status).toBe('open');
    expect(dueFollowUp(stored, policy, '2026-03-20')).toEqual({
      kind: 'invoice_overdue',
      stage: 'overdue-7',
      daysOverdue: 10,
    });
  });

  it('never for paid, voided, deleted or undated invoices', () => {
    const late = '2026-04-01';
    expect(dueFollowUp(invoice({ Balance: 0 }), policy, late)).toBeNull();
    expect(dueFollowUp(invoice({ TotalAmt: 0, Balance: 0, PrivateNote: 'Voided' }), policy, late)).toBeNull();
    expect(
      dueFollowUp(deletedView('Invoice', '1', '2026-03-03T00:00:00Z', invoice()), policy, late),
    ).toBeNull();
    expect(dueFollowUp(invoice({ DueDate: undefined }), policy, late)).toBeNull();
  });

  it('still chases a part-paid invoice', () => {
    expect(dueFollowUp(invoice({ Balance: 40 }), policy, '2026-03-02')?.stage).toBe('overdue-1');
  });

  it('holds back balances below the minimum, in the home currency', () => {
    const strict = followUpPolicySchema.parse({ minimumAmount: 50 });
    expect(dueFollowUp(invoice({ Balance: 49.99 }), strict, '2026-03-02')).toBeNull();
    expect(dueFollowUp(invoice({ Balance: 50 }), strict, '2026-03-02')?.stage).toBe('overdue-1');
    // 40 EUR at 1.3 is 52 USD: above the minimum although 40 < 50.
    const euro = invoice({ Balance: 40, TotalAmt: 40, CurrencyRef: { value: 'EUR' }, ExchangeRate: 1.3 });
    expect(dueFollowUp(euro, strict, '2026-03-02')?.stage).toBe('overdue-1');
    // No rate: the home value is unknown, and an unknown value never holds a reminder back.
    const unknown = invoice({ Balance: 1, TotalAmt: 1, CurrencyRef: { value: 'EUR' } });
    expect(dueFollowUp(unknown, strict, '2026-03-02')?.stage).toBe('overdue-1');
  });

  it('follows the policy switches', () => {
    expect(dueFollowUp(invoice(), followUpPolicySchema.parse({ enabled: false }), '2026-03-09')).toBeNull();
    expect(
      dueFollowUp(invoice(), followUpPolicySchema.parse({ overdue: { enabled: false } }), '2026-03-09'),
    ).toBeNull();
    const custom = followUpPolicySchema.parse({ overdue: { cadenceDays: [3, 10] } });
    expect(dueFollowUp(invoice(), custom, '2026-03-03')).toBeNull();
    expect(dueFollowUp(invoice(), custom, '2026-03-04')?.stage).toBe('overdue-3');
  });
});

describe('dueFollowUp: estimates and payments', () => {
  const estimate = (record: Parameters<typeof view>[1]) => view('Estimate', { TotalAmt: 500, ...record });

  it('announces an estimate about to expire, within the days before', () => {
    const pending = estimate({ TxnStatus: 'Pending', ExpirationDate: '2026-03-10' });
    expect(dueFollowUp(pending, policy, '2026-03-06')).toBeNull();
    expect(dueFollowUp(pending, policy, '2026-03-07')).toEqual({
      kind: 'estimate_expiring',
      stage: 'estimate-expiring',
      daysToExpiry: 3,
    });
    expect(dueFollowUp(pending, policy, '2026-03-10')?.daysToExpiry).toBe(0);
    expect(dueFollowUp(pending, policy, '2026-03-11')).toBeNull();
  });

  it('follows up an accepted estimate, not a closed or rejected one', () => {
    expect(dueFollowUp(estimate({ TxnStatus: 'Accepted' }), policy, '2026-03-06')?.stage).toBe(
      'estimate-accepted',
    );
    expect(dueFollowUp(estimate({ TxnStatus: 'Closed' }), policy, '2026-03-06')).toBeNull();
    expect(dueFollowUp(estimate({ TxnStatus: 'Rejected' }), policy, '2026-03-06')).toBeNull();
  });

  it('thanks for recent payments only', () => {
    const payment = view('Payment', { TotalAmt: 80, UnappliedAmt: 0, TxnDate: '2026-03-05' });
    expect(dueFollowUp(payment, policy, '2026-03-08')?.stage).toBe('payment-received');
    expect(dueFollowUp(payment, policy, '2026-03-09')).toBeNull();
    // A zero payment applies a credit memo: no money came in.
    expect(
      dueFollowUp(view('Payment', { TotalAmt: 0, TxnDate: '2026-03-05' }), policy, '2026-03-05'),
    ).toBeNull();
  });
});

describe('cancelReason', () => {
  it('keeps a stage that is still due', () => {
    expect(cancelReason(invoice(), 'overdue-7', policy, '2026-03-09')).toBeNull();
  });

  it('names why a pending follow-up is moot', () => {
    expect(cancelReason(invoice({ Balance: 0 }), 'overdue-7', policy, '2026-03-09')).toBe('paid');
    expect(
      cancelReason(
        invoice({ TotalAmt: 0, Balance: 0, PrivateNote: 'Voided' }),
        'overdue-7',
        policy,
        '2026-03-09',
      ),
    ).toBe('voided');
    expect(
      cancelReason(deletedView('Invoice', '1', '2026-03-03T00:00:00Z'), 'overdue-7', policy, '2026-03-09'),
    ).toBe('deleted');
    expect(cancelReason(null, 'overdue-7', policy, '2026-03-09')).toBe('deleted');
    // A later step superseded it.
    expect(cancelReason(invoice(), 'overdue-1', policy, '2026-03-09')).toBe('no_longer_due');
  });
});

describe('followUpId', () => {
  it('is one id per connection, document and stage', () => {
    const key = { connectionId: 'conn_1', entity: 'Invoice' as const, qboId: '42', stage: 'overdue-7' };
    expect(followUpId(key)).toBe(followUpId({ ...key }));
    expect(followUpId(key)).toMatch(/^fu_[A-Za-z0-9_-]{32}$/);
    expect(followUpId(key)).not.toBe(followUpId({ ...key, stage: 'overdue-14' }));
    expect(followUpId(key)).not.toBe(followUpId({ ...key, connectionId: 'conn_2' }));
    expect(followUpId(key)).not.toBe(followUpId({ ...key, entity: 'Estimate' }));
  });
});

describe('digestId', () => {
  it('names the same claims the same way in any order, and different claims differently', () => {
    const id = digestId(['fu_a#0', 'fu_b#1']);
    expect(id).toMatch(/^dg_[A-Za-z0-9_-]{32}$/);
    expect(digestId(['fu_b#1', 'fu_a#0'])).toBe(id);
    expect(digestId(['fu_a#0', 'fu_b#2'])).not.toBe(id);
    expect(digestId(['fu_a#0'])).not.toBe(id);
  });
});
