import { arFigures, contactArState } from '../../../src/followups/ar';
import {
  deletedView,
  transactionView,
  type QboTransactionRecord,
  type TransactionType,
} from '../../../src/sync/transactions';

const today = '2026-03-20';
const at = (type: TransactionType, record: Partial<QboTransactionRecord> & { Id: string }) =>
  transactionView(
    type,
    { TxnDate: '2026-01-01', ...record },
    { today, homeCurrency: 'USD', environment: 'sandbox' },
  );
const context = { today, homeCurrency: 'USD', customerCurrency: 'USD' };

describe('AR figures', () => {
  it('are empty for a customer without transactions', () => {
    expect(arFigures([], context)).toEqual({
      currency: 'USD',
      openBalance: 0,
      overdueBalance: 0,
      home: { currency: 'USD', openBalance: 0, overdueBalance: 0 },
      oldestOverdueDays: null,
      averageDaysToPay: null,
      onTimePaymentRatio: null,
      paidInvoicesMeasured: 0,
    });
  });

  it('measure balances, overdue age and payment behaviour from linked payments', () => {
    const views = [
      // Paid on time (day 10, due day 30): 9 days to pay, linked from the invoice side.
      at('Invoice', {
        Id: '1',
        TxnDate: '2026-01-01',
        DueDate: '2026-01-31',
        TotalAmt: 100,
        Balance: 0,
        LinkedTxn: [{ TxnId: 'p1', TxnType: 'Payment' }],
      }),
      at('Payment', { Id: 'p1', TxnDate: '2026-01-10', TotalAmt: 100, UnappliedAmt: 0 }),
      // Paid late, in two payments; the last one settles it (31 days), linked from the payments' lines.
      at('Invoice', { Id: '2', TxnDate: '2026-01-05', DueDate: '2026-01-20', TotalAmt: 50, Balance: 0 }),
      at('Payment', {
        Id: 'p2',
        TxnDate: '2026-01-15',
        TotalAmt: 20,
        Line: [{ LinkedTxn: [{ TxnId: '2', TxnType: 'Invoice' }] }],
      }),
      at('Payment', {
        Id: 'p3',
        TxnDate: '2026-02-05',
        TotalAmt: 30,
        Line: [{ LinkedTxn: [{ TxnId: '2', TxnType: 'Invoice' }] }],
      }),
      // Paid without a known payment (a credit memo): not measured.
      at('Invoice', { Id: '3', DueDate: '2026-01-31', TotalAmt: 10, Balance: 0 }),
      // Open and overdue since 2026-03-01 (19 days), and open but not yet due.
      at('Invoice', { Id: '4', TxnDate: '2026-02-01', DueDate: '2026-03-01', TotalAmt: 70, Balance: 70 }),
      at('Invoice', { Id: '5', TxnDate: '2026-03-10', DueDate: '2026-04-09', TotalAmt: 30, Balance: 30 }),
      // Void and deleted documents do not count.
      at('Invoice', { Id: '6', DueDate: '2026-01-02', TotalAmt: 0, Balance: 0, PrivateNote: 'Voided' }),
      deletedView('Invoice', '7', '2026-02-01T00:00:00Z'),
    ];
    expect(arFigures(views, context)).toEqual({
      currency: 'USD',
      openBalance: 100,
      overdueBalance: 70,
      home: { currency: 'USD', openBalance: 100, overdueBalance: 70 },
      oldestOverdueDays: 19,
      averageDaysToPay: 20,
      onTimePaymentRatio: 0.5,
      paidInvoicesMeasured: 2,
    });
  });

  it('keep foreign balances in the customer currency and home ones only when known', () => {
    const euro = { CurrencyRef: { value: 'EUR' } };
    const withRate = at('Invoice', {
      Id: '1',
      DueDate: '2026-03-01',
      TotalAmt: 100,
      Balance: 100,
      ExchangeRate: 1.1,
      ...euro,
    });
    expect(arFigures([withRate], { ...context, customerCurrency: 'EUR' })).toMatchObject({
      currency: 'EUR',
      openBalance: 100,
      home: { currency: 'USD', openBalance: 110, overdueBalance: 110 },
    });
    const withoutRate = at('Invoice', {
      Id: '2',
      DueDate: '2026-03-01',
      TotalAmt: 100,
      Balance: 100,
      ...euro,
    });
    expect(arFigures([withoutRate], { ...context, customerCurrency: 'EUR' }).home).toBeNull();
  });
});

describe('contact AR state', () => {
  it('carries the tags from src/sync with the account threshold', () => {
    const views = [
      at('Invoice', { Id: '1', DueDate: '2026-03-01', TotalAmt: 5000, Balance: 5000 }),
      at('Estimate', { Id: '2', TotalAmt: 10, TxnStatus: 'Pending' }),
    ];
    expect(contactArState(views, context).tags).toEqual(['qb:customer', 'qb:overdue', 'qb:estimate-open']);
    expect(contactArState(views, { ...context, highValueThreshold: 5000 }).tags).toEqual([
      'qb:customer',
      'qb:overdue',
      'qb:estimate-open',
      'qb:high-value',
    ]);
  });
});
