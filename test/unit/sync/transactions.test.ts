import { billingSummary } from '../../../src/sync/billing-summary';
import {
  deletedView,
  qboLink,
  transactionView,
  type Environment,
  type LinkEntity,
  type LiveTransactionView,
  type QboTransactionRecord,
  type TransactionContext,
  type TransactionType,
  type TransactionView,
} from '../../../src/sync/transactions';

const ctx: TransactionContext = { today: '2026-03-15', homeCurrency: 'USD', environment: 'production' };
const view = (
  type: TransactionType,
  record: Partial<QboTransactionRecord>,
  context = ctx,
): LiveTransactionView => transactionView(type, { Id: '1', TxnDate: '2026-03-01', ...record }, context);

describe('deep links', () => {
  const table: [LinkEntity, string][] = [
    ['Customer', 'customerdetail?nameId=42'],
    ['Invoice', 'invoice?txnId=42'],
    ['Payment', 'recvpayment?txnId=42'],
    ['Estimate', 'estimate?txnId=42'],
    ['SalesReceipt', 'salesreceipt?txnId=42'],
    ['CreditMemo', 'creditmemo?txnId=42'],
    ['RefundReceipt', 'refundreceipt?txnId=42'],
  ];
  const hosts: [Environment, string][] = [
    ['production', 'https://qbo.intuit.com/app/'],
    ['sandbox', 'https://sandbox.qbo.intuit.com/app/'],
  ];
  for (const [environment, host] of hosts) {
    it.each(table)(`${environment}: %s`, (entity, path) => {
      expect(qboLink(entity, '42', environment)).toBe(`${host}${path}`);
    });
  }

  it('puts the link on every view for its environment', () => {
    expect(view('Invoice', { Id: '130' }).qboLink).toBe('https://qbo.intuit.com/app/invoice?txnId=130');
    expect(view('Payment', { Id: '163' }, { ...ctx, environment: 'sandbox' }).qboLink).toBe(
      'https://sandbox.qbo.intuit.com/app/recvpayment?txnId=163',
    );
  });
});

describe('the transaction view', () => {
  it("maps Intuit's sample invoice", () => {
    const invoice: QboTransactionRecord = {
      Id: '130',
      DocNumber: '1037',
      TxnDate: '2014-09-19',
      DueDate: '2014-10-19',
      TotalAmt: 362.07,
      Balance: 362.07,
      LinkedTxn: [{ TxnId: '100', TxnType: 'Estimate' }],
      CustomerRef: { name: 'Sonnenschein Family Store', value: '24' },
      PrivateNote: 'Rush order',
    };
    expect(transactionView('Invoice', invoice, { ...ctx, today: '2014-10-01' })).toEqual({
      type: 'Invoice',
      qboId: '130',
      number: '1037',
      txnDate: '2014-09-19',
      dueDate: '2014-10-19',
      currency: { code: 'USD' },
      exchangeRate: 1,
      total: 362.07,
      balance: 362.07,
      homeTotal: 362.07,
      homeBalance: 362.07,
      status: 'open',
      partiallyPaid: false,
      linked: [{ type: 'Estimate', id: '100' }],
      qboLink: 'https://qbo.intuit.com/app/invoice?txnId=130',
    });
  });

  it("maps Intuit's sample payment, collecting links from its lines", () => {
    const payment = view('Payment', {
      Id: '163',
      TxnDate: '2015-01-16',
      TotalAmt: 65,
      UnappliedAmt: 10,
      PaymentRefNum: 'CHK-1',
      Line: [
        { LinkedTxn: [{ TxnId: '70', TxnType: 'Invoice' }] },
        {
          LinkedTxn: [
            { TxnId: '70', TxnType: 'Invoice' },
            { TxnId: '71', TxnType: 'CreditMemo' },
          ],
        },
      ],
    });
    expect(payment).toMatchObject({
      number: 'CHK-1',
      total: 65,
      balance: 10,
      status: 'partially_applied',
      linked: [
        { type: 'Invoice', id: '70' },
        { type: 'CreditMemo', id: '71' },
      ],
    });
    expect(payment).not.toHaveProperty('dueDate');
  });

  it('keeps the estimate expiration date and the currency name', () => {
    const estimate = view('Estimate', {
      TotalAmt: 31.5,
      ExpirationDate: '2026-04-01',
      CurrencyRef: { value: 'usd', name: 'United States Dollar' },
    });
    expect(estimate).toMatchObject({
      expirationDate: '2026-04-01',
      currency: { code: 'USD', name: 'United States Dollar' },
      balance: 0,
      status: 'pending',
    });
  });

  it('falls back to the creation date when TxnDate is missing', () => {
    expect(
      transactionView('SalesReceipt', { Id: '5', MetaData: { CreateTime: '2026-02-03T10:00:00-08:00' } }, ctx)
        .txnDate,
    ).toBe('2026-02-03');
  });

  it('rejects a malformed today', () => {
    expect(() => view('Invoice', {}, { ...ctx, today: '15/03/2026' })).toThrow(/yyyy-MM-dd/);
  });
});

describe('statuses', () => {
  const invoices: [string, Partial<QboTransactionRecord>, string][] = [
    ['open: nothing paid, not yet due', { TotalAmt: 100, Balance: 100, DueDate: '2026-03-30' }, 'open'],
    ['open: due today is not overdue', { TotalAmt: 100, Balance: 100, DueDate: '2026-03-15' }, 'open'],
    ['open: no due date', { TotalAmt: 100, Balance: 100 }, 'open'],
    ['paid', { TotalAmt: 100, Balance: 0, DueDate: '2026-01-01' }, 'paid'],
    ['partially paid, not yet due', { TotalAmt: 100, Balance: 40, DueDate: '2026-03-30' }, 'partially_paid'],
    ['overdue', { TotalAmt: 100, Balance: 100, DueDate: '2026-03-14' }, 'overdue'],
    ['overdue even when partially paid', { TotalAmt: 100, Balance: 40, DueDate: '2026-03-01' }, 'overdue'],
    ['voided', { TotalAmt: 0, Balance: 0, PrivateNote: 'Voided' }, 'voided'],
    [
      'voided, with the note QBO prefixes',
      { TotalAmt: 0, Balance: 0, PrivateNote: 'Voided Rush order' },
      'voided',
    ],
    ['a zero invoice that was not voided owes nothing', { TotalAmt: 0, Balance: 0 }, 'paid'],
    [
      'a note mentioning "Voided" with a total is not void',
      { TotalAmt: 5, Balance: 5, PrivateNote: 'Voided?' },
      'open',
    ],
  ];
  it.each(invoices)('Invoice %s', (_name, record, status) => {
    expect(view('Invoice', record).status).toBe(status);
  });

  const estimates: [string, Partial<QboTransactionRecord>, string][] = [
    ['Pending', { TxnStatus: 'Pending', ExpirationDate: '2026-03-15' }, 'pending'],
    ['Pending past expiry → expired', { TxnStatus: 'Pending', ExpirationDate: '2026-03-14' }, 'expired'],
    ['Accepted', { TxnStatus: 'Accepted', ExpirationDate: '2026-01-01' }, 'accepted'],
    ['Closed', { TxnStatus: 'Closed' }, 'closed'],
    [
      'Closed by an invoice made from it → converted',
      { TxnStatus: 'Closed', LinkedTxn: [{ TxnId: '9', TxnType: 'Invoice' }] },
      'converted',
    ],
    [
      'Closed by a sales receipt made from it → converted',
      { TxnStatus: 'Closed', LinkedTxn: [{ TxnId: '9', TxnType: 'SalesReceipt' }] },
      'converted',
    ],
    ['Rejected', { TxnStatus: 'Rejected' }, 'rejected'],
    ['Converted', { TxnStatus: 'Converted' }, 'converted'],
    ['missing TxnStatus → pending', {}, 'pending'],
  ];
  it.each(estimates)('Estimate %s', (_name, record, status) => {
    expect(view('Estimate', { TotalAmt: 50, ...record }).status).toBe(status);
  });

  const payments: [string, Partial<QboTransactionRecord>, string][] = [
    ['applied', { TotalAmt: 65, UnappliedAmt: 0 }, 'applied'],
    ['partially applied', { TotalAmt: 65, UnappliedAmt: 10 }, 'partially_applied'],
    ['unapplied', { TotalAmt: 65, UnappliedAmt: 65 }, 'unapplied'],
    ['a zero payment applying a credit memo', { TotalAmt: 0, UnappliedAmt: 0 }, 'applied'],
    ['voided', { TotalAmt: 0, UnappliedAmt: 0, PrivateNote: 'Voided' }, 'voided'],
  ];
  it.each(payments)('Payment %s', (_name, record, status) => {
    expect(view('Payment', record).status).toBe(status);
  });

  const others: [TransactionType, Partial<QboTransactionRecord>, string][] = [
    ['SalesReceipt', { TotalAmt: 337.5, Balance: 0 }, 'paid'],
    ['SalesReceipt', { TotalAmt: 0, PrivateNote: 'Voided' }, 'voided'],
    ['RefundReceipt', { TotalAmt: 20 }, 'refunded'],
    ['RefundReceipt', { TotalAmt: 0, PrivateNote: 'Voided' }, 'voided'],
    ['CreditMemo', { TotalAmt: 100, Balance: 100, RemainingCredit: 100 }, 'unapplied'],
    ['CreditMemo', { TotalAmt: 100, Balance: 30, RemainingCredit: 30 }, 'partially_applied'],
    ['CreditMemo', { TotalAmt: 100, Balance: 0, RemainingCredit: 0 }, 'applied'],
    ['CreditMemo', { TotalAmt: 100, Balance: 25 }, 'partially_applied'],
    ['CreditMemo', { TotalAmt: 0, Balance: 0, RemainingCredit: 0, PrivateNote: 'Voided' }, 'voided'],
  ];
  it.each(others)('%s %j → %s', (type, record, status) => {
    expect(view(type, record).status).toBe(status);
  });

  it('represents a deleted transaction, keeping what was known', () => {
    const last = view('Invoice', { Id: '33', TotalAmt: 10, Balance: 10 });
    expect(deletedView('Invoice', '33', '2026-03-15T10:00:00Z')).toEqual({
      type: 'Invoice',
      qboId: '33',
      status: 'deleted',
      deletedAt: '2026-03-15T10:00:00Z',
    });
    expect(deletedView('Invoice', '33', '2026-03-15T10:00:00Z', last)).toMatchObject({
      status: 'deleted',
      last,
    });
  });
});

describe('multi-currency', () => {
  it('takes home amounts from HomeTotalAmt and HomeBalance when QBO gives them', () => {
    const invoice = view('Invoice', {
      CurrencyRef: { value: 'EUR', name: 'Euro' },
      ExchangeRate: 1.0812,
      TotalAmt: 100,
      Balance: 40,
      HomeTotalAmt: 108.12,
      HomeBalance: 43.25,
    });
    expect(invoice).toMatchObject({
      currency: { code: 'EUR', name: 'Euro' },
      exchangeRate: 1.0812,
      homeTotal: 108.12,
      homeBalance: 43.25,
    });
  });

  it('computes home amounts from ExchangeRate when only the rate is given, rounded to cents', () => {
    const invoice = view('Invoice', {
      CurrencyRef: { value: 'EUR' },
      ExchangeRate: 1.0815,
      TotalAmt: 100.01,
      Balance: 10,
    });
    expect(invoice.homeTotal).toBe(108.16); // 108.160815
    expect(invoice.homeBalance).toBe(10.82); // 10.815 rounds half away from zero
  });

  it('uses the amounts themselves in the home currency', () => {
    const invoice = view('Invoice', { CurrencyRef: { value: 'USD' }, TotalAmt: 50, Balance: 20 });
    expect(invoice).toMatchObject({ exchangeRate: 1, homeTotal: 50, homeBalance: 20 });
  });

  it('never assumes a rate of 1 for a foreign currency without one', () => {
    const invoice = view('Invoice', { CurrencyRef: { value: 'GBP' }, TotalAmt: 75, Balance: 75 });
    expect(invoice.exchangeRate).toBeNull();
    expect(invoice.homeTotal).toBeNull();
    expect(invoice.homeBalance).toBeNull();
  });

  it('still knows that zero is zero in any currency', () => {
    const invoice = view('Invoice', { CurrencyRef: { value: 'GBP' }, TotalAmt: 75, Balance: 0 });
    expect(invoice.homeBalance).toBe(0);
    expect(invoice.homeTotal).toBeNull();
  });

  it('keeps HomeTotalAmt without inventing a rate', () => {
    const payment = view('Payment', {
      CurrencyRef: { value: 'CAD' },
      TotalAmt: 100,
      HomeTotalAmt: 73.5,
      UnappliedAmt: 0,
    });
    expect(payment).toMatchObject({ exchangeRate: null, homeTotal: 73.5, homeBalance: 0 });
  });

  it('ignores a zero or negative rate', () => {
    expect(
      view('Invoice', { CurrencyRef: { value: 'EUR' }, ExchangeRate: 0, TotalAmt: 1 }).exchangeRate,
    ).toBeNull();
  });
});

describe('billingSummary', () => {
  const usd = { currency: { code: 'USD', name: 'United States Dollar' } };
  const options = { today: ctx.today, homeCurrency: 'USD' };

  it('sums in cents: 0.1 + 0.2 is 0.3', () => {
    const views = [
      view('Invoice', { Id: 'a', TotalAmt: 0.1, Balance: 0.1 }),
      view('Invoice', { Id: 'b', TotalAmt: 0.2, Balance: 0.2 }),
    ];
    const summary = billingSummary(usd, views, options);
    expect(summary.openBalance).toBe(0.3);
    expect(summary.lifetimeSales).toBe(0.3);
    expect(summary.home?.openBalance).toBe(0.3);
  });

  it('stays exact over many small amounts', () => {
    const views = Array.from({ length: 1000 }, (_, i) =>
      view('SalesReceipt', { Id: String(i), TotalAmt: 0.01 }),
    );
    expect(billingSummary(usd, views, options).lifetimeSales).toBe(10);
  });

  it('computes open, overdue, lifetime sales, last payment, oldest overdue and counts', () => {
    const views: TransactionView[] = [
      view('Invoice', { Id: '1', TotalAmt: 100, Balance: 100, DueDate: '2026-03-05' }), // overdue 10 days
      view('Invoice', { Id: '2', TotalAmt: 200, Balance: 50, DueDate: '2026-02-13' }), // overdue 30 days
      view('Invoice', { Id: '3', TotalAmt: 300, Balance: 300, DueDate: '2026-04-01' }), // open
      view('Invoice', { Id: '4', TotalAmt: 80, Balance: 0, DueDate: '2026-01-01' }), // paid
      view('Invoice', { Id: '5', TotalAmt: 0, Balance: 0, PrivateNote: 'Voided' }),
      view('SalesReceipt', { Id: '6', TotalAmt: 45.55, TxnDate: '2026-03-10' }),
      view('CreditMemo', { Id: '7', TotalAmt: 25, Balance: 10, RemainingCredit: 10 }),
      view('RefundReceipt', { Id: '8', TotalAmt: 5.5 }),
      view('Payment', { Id: '9', TotalAmt: 230, UnappliedAmt: 20, TxnDate: '2026-03-12' }),
      view('Payment', {
        Id: '10',
        TotalAmt: 0,
        UnappliedAmt: 0,
        TxnDate: '2026-03-14',
        PrivateNote: 'Voided',
      }),
      view('Estimate', { Id: '11', TotalAmt: 999, TxnStatus: 'Pending' }),
      deletedView('Invoice', '12', '2026-03-02T00:00:00Z'),
    ];
    expect(billingSummary(usd, views, options)).toEqual({
      currency: { code: 'USD', name: 'United States Dollar' },
      // invoices 100 + 50 + 300
      openBalance: 450,
      overdueBalance: 150,
      // the credit memo's 10 and payment 9's unapplied 20
      creditAvailable: 30,
      netBalance: 420,
      // 100 + 200 + 300 + 80 + 45.55 − 25 − 5.5
      lifetimeSales: 695.05,
      lastPaymentDate: '2026-03-12',
      home: {
        currency: 'USD',
        openBalance: 450,
        overdueBalance: 150,
        creditAvailable: 30,
        netBalance: 420,
        lifetimeSales: 695.05,
      },
      oldestOverdueDays: 30,
      counts: {
        open: 1, // invoice 3
        overdue: 2,
        paid: 2, // invoice 4 and the sales receipt
        partially_paid: 0,
        pending: 1,
        accepted: 0,
        closed: 0,
        rejected: 0,
        converted: 0,
        expired: 0,
        applied: 0,
        unapplied: 0,
        partially_applied: 2, // the credit memo and payment 9
        refunded: 1,
        voided: 2,
        deleted: 1,
      },
    });
  });

  it('gives an empty summary for a customer without transactions', () => {
    const summary = billingSummary(usd, [], options);
    expect(summary).toMatchObject({
      openBalance: 0,
      overdueBalance: 0,
      lifetimeSales: 0,
      lastPaymentDate: null,
      oldestOverdueDays: null,
      home: { currency: 'USD', openBalance: 0, overdueBalance: 0, lifetimeSales: 0 },
    });
  });

  it('reports a foreign-currency customer in both currencies', () => {
    const eur = { currency: { code: 'EUR', name: 'Euro' } };
    const views = [
      view('Invoice', {
        Id: '1',
        CurrencyRef: { value: 'EUR' },
        ExchangeRate: 1.1,
        TotalAmt: 100,
        Balance: 100,
        HomeTotalAmt: 110,
        HomeBalance: 110,
        DueDate: '2026-03-01',
      }),
      view('Invoice', {
        Id: '2',
        CurrencyRef: { value: 'EUR' },
        ExchangeRate: 1.2,
        TotalAmt: 50.05,
        Balance: 0,
      }),
    ];
    const summary = billingSummary(eur, views, options);
    expect(summary).toMatchObject({
      currency: { code: 'EUR', name: 'Euro' },
      openBalance: 100,
      overdueBalance: 100,
      lifetimeSales: 150.05,
      home: { currency: 'USD', openBalance: 110, overdueBalance: 110, lifetimeSales: 170.06 },
      oldestOverdueDays: 14,
    });
  });

  it('gives no home summary when a needed home amount is unknown', () => {
    const gbp = { currency: { code: 'GBP', name: 'Pound Sterling' } };
    const views = [
      view('Invoice', {
        Id: '1',
        CurrencyRef: { value: 'GBP' },
        ExchangeRate: 1.3,
        TotalAmt: 10,
        Balance: 10,
      }),
      view('Invoice', { Id: '2', CurrencyRef: { value: 'GBP' }, TotalAmt: 20, Balance: 0 }), // no rate
    ];
    const summary = billingSummary(gbp, views, options);
    expect(summary.home).toBeNull();
    expect(summary.lifetimeSales).toBe(30);
    expect(summary.openBalance).toBe(10);
  });

  it('does not let voided or deleted transactions with unknown home amounts spoil the home summary', () => {
    const views: TransactionView[] = [
      view('Invoice', {
        Id: '1',
        CurrencyRef: { value: 'GBP' },
        TotalAmt: 0,
        Balance: 0,
        PrivateNote: 'Voided',
      }),
      deletedView('Invoice', '2', '2026-03-01T00:00:00Z'),
    ];
    expect(billingSummary({ currency: { code: 'GBP', name: null } }, views, options).home).not.toBeNull();
  });
});
