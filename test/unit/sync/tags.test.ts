import { contactTags } from '../../../src/sync/tags';
import {
  deletedView,
  transactionView,
  type QboTransactionRecord,
  type TransactionType,
  type TransactionView,
} from '../../../src/sync/transactions';

const today = '2026-03-15';
const view = (type: TransactionType, record: Partial<QboTransactionRecord>): TransactionView =>
  transactionView(
    type,
    { Id: '1', TxnDate: '2026-03-01', ...record },
    {
      today,
      homeCurrency: 'USD',
      environment: 'production',
    },
  );

describe('contactTags', () => {
  it('gives no tags without transactions', () => {
    expect(contactTags([], { today })).toEqual([]);
  });

  const table: [string, TransactionView[], string[]][] = [
    [
      'an open invoice makes a customer',
      [view('Invoice', { TotalAmt: 10, Balance: 10, DueDate: '2026-04-01' })],
      ['qb:customer'],
    ],
    ['a sales receipt makes a customer', [view('SalesReceipt', { TotalAmt: 10 })], ['qb:customer']],
    ['a payment makes a customer', [view('Payment', { TotalAmt: 10, UnappliedAmt: 10 })], ['qb:customer']],
    ['a voided invoice does not', [view('Invoice', { TotalAmt: 0, Balance: 0, PrivateNote: 'Voided' })], []],
    ['a deleted invoice does not', [deletedView('Invoice', '1', '2026-03-02T00:00:00Z')], []],
    [
      'an invoice past due with a balance is overdue',
      [view('Invoice', { TotalAmt: 10, Balance: 4, DueDate: '2026-03-14' })],
      ['qb:customer', 'qb:overdue'],
    ],
    [
      'a paid invoice past due is not overdue',
      [view('Invoice', { TotalAmt: 10, Balance: 0, DueDate: '2026-01-01' })],
      ['qb:customer'],
    ],
    [
      'a pending estimate is open',
      [view('Estimate', { TotalAmt: 10, TxnStatus: 'Pending' })],
      ['qb:estimate-open'],
    ],
    [
      'an accepted estimate is open',
      [view('Estimate', { TotalAmt: 10, TxnStatus: 'Accepted' })],
      ['qb:estimate-open'],
    ],
    [
      'an expired estimate is not',
      [view('Estimate', { TotalAmt: 10, TxnStatus: 'Pending', ExpirationDate: '2026-03-01' })],
      [],
    ],
    ['a converted estimate is not', [view('Estimate', { TotalAmt: 10, TxnStatus: 'Converted' })], []],
    ['a rejected estimate is not', [view('Estimate', { TotalAmt: 10, TxnStatus: 'Rejected' })], []],
  ];
  it.each(table)('%s', (_name, views, tags) => {
    expect(contactTags(views, { today })).toEqual(tags);
  });

  it('tags high value at the threshold of home-currency lifetime sales, net of credits', () => {
    const views = [
      view('Invoice', { TotalAmt: 600, Balance: 0 }),
      view('SalesReceipt', { TotalAmt: 500.1 }),
      view('CreditMemo', { TotalAmt: 100.1, Balance: 0 }),
    ];
    expect(contactTags(views, { today, highValueThreshold: 1000 })).toEqual(['qb:customer', 'qb:high-value']);
    expect(contactTags(views, { today, highValueThreshold: 1000.01 })).toEqual(['qb:customer']);
    expect(contactTags(views, { today })).toEqual(['qb:customer']);
  });

  it('uses home amounts for high value, and withholds the tag when they are unknown', () => {
    const eur = view('Invoice', {
      CurrencyRef: { value: 'EUR' },
      ExchangeRate: 2,
      TotalAmt: 600,
      Balance: 0,
    });
    expect(contactTags([eur], { today, highValueThreshold: 1000 })).toContain('qb:high-value');
    const unknown = view('Invoice', { CurrencyRef: { value: 'EUR' }, TotalAmt: 5000, Balance: 0 });
    expect(contactTags([unknown], { today, highValueThreshold: 1000 })).not.toContain('qb:high-value');
  });

  it('returns tags in a fixed order', () => {
    const views = [
      view('Estimate', { TotalAmt: 1, TxnStatus: 'Pending' }),
      view('Invoice', { TotalAmt: 2000, Balance: 2000, DueDate: '2026-01-01' }),
    ];
    expect(contactTags(views, { today, highValueThreshold: 1 })).toEqual([
      'qb:customer',
      'qb:overdue',
      'qb:estimate-open',
      'qb:high-value',
    ]);
  });
});
