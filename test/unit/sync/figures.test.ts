import fc from 'fast-check';
import { billingSummary } from '../../../src/sync/billing-summary';
import {
  linksFromBothEnds,
  linksOf,
  statusAsOf,
  transactionView,
  viewAsOf,
  type LiveTransactionView,
  type QboTransactionRecord,
  type TransactionContext,
  type TransactionType,
} from '../../../src/sync/transactions';

/**
 * The figures and statuses of docs/api.md ("Figures and statuses") in the combinations that once contradicted each
 * other: credit against overdue balances, partly paid overdue invoices, voids, refunds and converted estimates.
 */
const ctx: TransactionContext = { today: '2026-03-15', homeCurrency: 'USD', environment: 'production' };
const usd = { currency: { code: 'USD', name: 'United States Dollar' } };
const view = (
  type: TransactionType,
  record: Partial<QboTransactionRecord>,
  previous?: LiveTransactionView,
): LiveTransactionView => transactionView(type, { Id: '1', TxnDate: '2026-03-01', ...record }, ctx, previous);

describe('a customer with unapplied credit and an overdue invoice', () => {
  const overdue = view('Invoice', { Id: '1', TotalAmt: 100, Balance: 100, DueDate: '2026-03-01' });
  const credit = view('CreditMemo', { Id: '2', TotalAmt: 130, RemainingCredit: 130 });

  it('owes the whole invoice, all of it overdue, and is owed the credit: the net is what QBO’s balance says', () => {
    const summary = billingSummary(usd, [overdue, credit], ctx);
    expect(summary).toMatchObject({
      openBalance: 100,
      overdueBalance: 100,
      creditAvailable: 130,
      // QBO's Customer.Balance for these two: 100 − 130.
      netBalance: -30,
    });
    expect(credit.status).toBe('unapplied');
  });

  it('is owed nothing by a voided credit memo', () => {
    const voided = view('CreditMemo', { Id: '2', TotalAmt: 0, RemainingCredit: 0, PrivateNote: 'Voided' });
    expect(billingSummary(usd, [overdue, voided], ctx)).toMatchObject({
      creditAvailable: 0,
      netBalance: 100,
    });
  });

  it('once the credit is applied, owes nothing and is owed what is left', () => {
    // QBO applies a credit memo with a zero payment linking both.
    const paidInvoice = view('Invoice', { Id: '1', TotalAmt: 100, Balance: 0, DueDate: '2026-03-01' });
    const leftOver = view('CreditMemo', { Id: '2', TotalAmt: 130, RemainingCredit: 30 });
    const zeroPayment = view('Payment', { Id: '3', TotalAmt: 0, UnappliedAmt: 0, TxnDate: '2026-03-10' });
    const summary = billingSummary(usd, [paidInvoice, leftOver, zeroPayment], ctx);
    expect(summary).toMatchObject({
      openBalance: 0,
      overdueBalance: 0,
      creditAvailable: 30,
      netBalance: -30,
    });
    expect([paidInvoice.status, leftOver.status, zeroPayment.status]).toEqual([
      'paid',
      'partially_applied',
      'applied',
    ]);
    // Applying credit is not a payment received.
    expect(summary.lastPaymentDate).toBeNull();
  });
});

describe('a partly paid invoice', () => {
  it('says it is partly paid whether or not it is overdue', () => {
    const notDue = view('Invoice', { TotalAmt: 100, Balance: 40, DueDate: '2026-03-30' });
    expect(notDue).toMatchObject({ status: 'partially_paid', partiallyPaid: true });
    const pastDue = view('Invoice', { TotalAmt: 100, Balance: 40, DueDate: '2026-03-01' });
    expect(pastDue).toMatchObject({ status: 'overdue', partiallyPaid: true });
    const unpaid = view('Invoice', { TotalAmt: 100, Balance: 100, DueDate: '2026-03-01' });
    expect(unpaid).toMatchObject({ status: 'overdue', partiallyPaid: false });
    expect(view('Invoice', { TotalAmt: 100, Balance: 0 })).toMatchObject({
      status: 'paid',
      partiallyPaid: false,
    });
  });

  it('falls overdue when its due date passes, and is partly paid again on an earlier day', () => {
    const notDue = view('Invoice', { TotalAmt: 100, Balance: 40, DueDate: '2026-03-30' });
    expect(viewAsOf(notDue, '2026-04-01')).toMatchObject({ status: 'overdue', partiallyPaid: true });
    const pastDue = view('Invoice', { TotalAmt: 100, Balance: 40, DueDate: '2026-03-01' });
    expect(statusAsOf(pastDue, '2026-02-20')).toBe('partially_paid');
  });
});

describe('a voided invoice', () => {
  const before = view('Invoice', { Id: '7', TotalAmt: 80, Balance: 80, DueDate: '2026-03-01' });
  const voidedRecord = { Id: '7', TotalAmt: 0, Balance: 0, PrivateNote: 'Voided', DueDate: '2026-03-01' };

  it('keeps the total it had before QBO zeroed it, through later updates of the void', () => {
    const voided = view('Invoice', voidedRecord, before);
    expect(voided).toMatchObject({ status: 'voided', total: 0, balance: 0, originalTotal: 80 });
    expect(voided.partiallyPaid).toBeUndefined();
    const touchedAgain = view('Invoice', { ...voidedRecord, PrivateNote: 'Voided duplicate' }, voided);
    expect(touchedAgain.originalTotal).toBe(80);
  });

  it('has no original total when the sync never saw it before the void', () => {
    expect(view('Invoice', voidedRecord).originalTotal).toBeUndefined();
  });

  it('counts for nothing: not open, not overdue, not a sale', () => {
    const summary = billingSummary(usd, [view('Invoice', voidedRecord, before)], ctx);
    expect(summary).toMatchObject({
      openBalance: 0,
      overdueBalance: 0,
      lifetimeSales: 0,
      oldestOverdueDays: null,
    });
    expect(summary.counts.voided).toBe(1);
  });
});

describe('a refund receipt', () => {
  it('is refunded, not paid, and takes from lifetime sales without touching balances', () => {
    const sale = view('SalesReceipt', { Id: '1', TotalAmt: 50 });
    const refund = view('RefundReceipt', { Id: '2', TotalAmt: 20 });
    expect(refund.status).toBe('refunded');
    expect(billingSummary(usd, [sale, refund], ctx)).toMatchObject({
      lifetimeSales: 30,
      openBalance: 0,
      creditAvailable: 0,
      counts: { paid: 1, refunded: 1 },
    });
  });
});

describe('a converted estimate', () => {
  it('is related to its invoice from both ends, whichever side QBO names the link on', () => {
    const estimate = view('Estimate', { Id: '40', TxnStatus: 'Closed' });
    const invoice = view('Invoice', {
      Id: '12',
      TotalAmt: 300,
      Balance: 300,
      LinkedTxn: [{ TxnId: '40', TxnType: 'Estimate' }],
    });
    const links = linksFromBothEnds([estimate, invoice]);
    expect(linksOf(links, estimate)).toEqual([{ type: 'Invoice', id: '12' }]);
    expect(linksOf(links, invoice)).toEqual([{ type: 'Estimate', id: '40' }]);
    // Named on both sides (the estimate links back once QBO closed it): once each, not twice.
    const closed = view('Estimate', {
      Id: '40',
      TxnStatus: 'Closed',
      LinkedTxn: [{ TxnId: '12', TxnType: 'Invoice' }],
    });
    expect(closed.status).toBe('converted');
    expect(linksOf(linksFromBothEnds([closed, invoice]), closed)).toEqual([{ type: 'Invoice', id: '12' }]);
  });
});

describe('the figures never contradict each other', () => {
  const money = fc.integer({ min: 0, max: 100_000 }).map((cents) => cents / 100);
  const day = fc.integer({ min: 1, max: 28 }).map((d) => `2026-03-${String(d).padStart(2, '0')}`);
  const transaction = fc.oneof(
    fc.record({
      type: fc.constant<TransactionType>('Invoice'),
      total: money,
      paidShare: fc.double({ min: 0, max: 1, noNaN: true }),
      due: day,
      voided: fc.boolean(),
    }),
    fc.record({
      type: fc.constantFrom<TransactionType>('CreditMemo', 'Payment'),
      total: money,
      paidShare: fc.double({ min: 0, max: 1, noNaN: true }),
      due: day,
      voided: fc.boolean(),
    }),
    fc.record({
      type: fc.constantFrom<TransactionType>('SalesReceipt', 'RefundReceipt', 'Estimate'),
      total: money,
      paidShare: fc.constant(1),
      due: day,
      voided: fc.boolean(),
    }),
  );

  it('overdue ≤ open, both never negative, net = open − credit, counts add up', () => {
    fc.assert(
      fc.property(fc.array(transaction, { maxLength: 12 }), day, (generated, today) => {
        const views = generated.map((t, index) => {
          const voided = t.voided && t.type !== 'Estimate';
          const total = voided ? 0 : t.total;
          const open = Math.round(total * (1 - t.paidShare) * 100) / 100;
          const record: Partial<QboTransactionRecord> = {
            Id: String(index),
            TotalAmt: total,
            ...(voided && { PrivateNote: 'Voided' }),
            ...(t.type === 'Invoice' && { Balance: open, DueDate: t.due }),
            ...(t.type === 'CreditMemo' && { RemainingCredit: open }),
            ...(t.type === 'Payment' && { UnappliedAmt: open }),
          };
          return view(t.type, record);
        });
        const summary = billingSummary(usd, views, { today, homeCurrency: 'USD' });
        const cents = (amount: number) => Math.round(amount * 100);
        expect(summary.openBalance).toBeGreaterThanOrEqual(0);
        expect(summary.creditAvailable).toBeGreaterThanOrEqual(0);
        expect(cents(summary.overdueBalance)).toBeLessThanOrEqual(cents(summary.openBalance));
        expect(cents(summary.netBalance)).toBe(cents(summary.openBalance) - cents(summary.creditAvailable));
        expect(Object.values(summary.counts).reduce((a, b) => a + b, 0)).toBe(views.length);
        // An overdue balance means an invoice counted overdue, and the other way round.
        expect(summary.overdueBalance > 0).toBe(summary.counts.overdue > 0);
      }),
      { numRuns: 2000 },
    );
  });
});
