import {
  contactSyncStatus,
  panelPageSize,
  panelTransactions,
  type PanelView,
} from '../../../src/api/embed/panel-view';
import type { ContactView } from '../../../src/contacts/service';
import type { TransactionItem } from '../../../src/contacts/section';
import {
  transactionView,
  type QboTransactionRecord,
  type TransactionType,
} from '../../../src/sync/transactions';

const context = { today: '2026-03-02', homeCurrency: 'USD', environment: 'sandbox' as const };
const item = (type: TransactionType, record: Omit<QboTransactionRecord, 'TxnDate'> & { TxnDate?: string }) =>
  transactionView(type, { TxnDate: '2026-02-01', ...record }, context);

const href = (view: Partial<PanelView>): string => {
  const params = new URLSearchParams();
  if (view.type) params.set('type', view.type);
  if (view.status) params.set('status', view.status);
  if (view.page && view.page > 1) params.set('page', String(view.page));
  return `/p?${params.toString()}`;
};
const label = (status: string) => status;
const model = (items: TransactionItem[], view: Partial<PanelView> = {}) =>
  panelTransactions(items, { view: { page: 1, ...view }, href }, label);

// Newest first, as the section lists them.
const estimate = item('Estimate', {
  Id: '40',
  DocNumber: 'E-7',
  TxnDate: '2026-02-27',
  TotalAmt: 300,
  TxnStatus: 'Closed',
  LinkedTxn: [{ TxnId: '12', TxnType: 'Invoice' }],
});
const payment = item('Payment', {
  Id: '30',
  PaymentRefNum: 'CHK-88',
  TxnDate: '2026-02-25',
  TotalAmt: 500,
  UnappliedAmt: 20,
  Line: [
    { LinkedTxn: [{ TxnId: '11', TxnType: 'Invoice' }] },
    { LinkedTxn: [{ TxnId: '99', TxnType: 'Invoice' }] },
  ],
});
const converted = item('Invoice', {
  Id: '12',
  DocNumber: '1002',
  TxnDate: '2026-02-20',
  DueDate: '2026-03-22',
  TotalAmt: 300,
  Balance: 300,
});
const paid = item('Invoice', {
  Id: '11',
  DocNumber: '1001',
  DueDate: '2026-02-10',
  TotalAmt: 480,
  Balance: 0,
});
const credit = item('CreditMemo', { Id: '50', DocNumber: 'CM-1', TotalAmt: 50, RemainingCredit: 35 });
const refund = item('RefundReceipt', { Id: '60', DocNumber: 'R-1', TotalAmt: 15 });
const items = [estimate, payment, converted, paid, credit, refund];

describe('how the panel relates transactions', () => {
  it('shows payments against the invoices they paid, and estimates against the invoices they became', () => {
    const rows = new Map(model(items).rows.map((row) => [row.title, row.relations]));
    expect(rows.get('Payment CHK-88')).toEqual([
      {
        verb: 'Paid',
        targets: [
          { label: 'Invoice 1001', href: '/p?#txn-Invoice-11' },
          // Linked, but not this customer's or not projected: named, not linked.
          { label: 'Invoice (QuickBooks id 99)', href: null },
        ],
      },
    ]);
    // The invoice side is derived from the payment even when QBO's record of it does not list the payment.
    expect(rows.get('Invoice 1001')).toEqual([
      { verb: 'Paid by', targets: [{ label: 'Payment CHK-88', href: '/p?#txn-Payment-30' }] },
    ]);
    expect(rows.get('Estimate E-7')).toEqual([
      { verb: 'Became', targets: [{ label: 'Invoice 1002', href: '/p?#txn-Invoice-12' }] },
    ]);
    expect(rows.get('Invoice 1002')).toEqual([
      { verb: 'From', targets: [{ label: 'Estimate E-7', href: '/p?#txn-Estimate-40' }] },
    ]);
    expect(rows.get('Credit memo CM-1')).toEqual([]);
  });

  it('links a related transaction on the page that holds it, within the filters or else among all', () => {
    const payments = model(items, { type: 'Payment' });
    expect(payments.rows.map((row) => row.title)).toEqual(['Payment CHK-88']);
    // Filtered out of this view: the link goes to it among all transactions.
    expect(payments.rows[0]!.relations[0]!.targets[0]!.href).toBe('/p?#txn-Invoice-11');
    const many = Array.from({ length: panelPageSize + 5 }, (_, index) =>
      item('Invoice', {
        Id: String(1000 + index),
        DocNumber: String(index),
        DueDate: '2026-03-30',
        TotalAmt: 1,
        Balance: 1,
      }),
    );
    const latePayment = item('Payment', {
      Id: '7',
      TxnDate: '2026-03-01',
      TotalAmt: 1,
      UnappliedAmt: 0,
      Line: [{ LinkedTxn: [{ TxnId: '1029', TxnType: 'Invoice' }] }],
    });
    const page = model([latePayment, ...many]);
    expect(page.rows[0]!.relations[0]!.targets[0]!.href).toBe('/p?page=2#txn-Invoice-1029');
  });
});

describe('filters and pages', () => {
  it('counts each filter’s choices under the other filter, and marks the current ones', () => {
    const all = model(items);
    expect(all.types.map((choice) => [choice.label, choice.count, choice.current])).toEqual([
      ['All', 6, true],
      ['Invoices', 2, false],
      ['Payments', 1, false],
      ['Estimates', 1, false],
      ['Credit memos', 1, false],
      ['Refund receipts', 1, false],
    ]);
    const invoices = model(items, { type: 'Invoice' });
    expect(invoices.statuses.map((choice) => [choice.label, choice.count])).toEqual([
      ['All', 2],
      ['open', 1],
      ['paid', 1],
    ]);
    expect(invoices.types.find((choice) => choice.current)?.href).toBe('/p?type=Invoice');
    expect(invoices.statuses.find((choice) => choice.label === 'paid')?.href).toBe(
      '/p?type=Invoice&status=paid',
    );
    expect(invoices.filtered).toBe(true);
    // A filter that matches nothing still shows itself, with 0, so it can be undone.
    const none = model(items, { type: 'SalesReceipt', status: 'overdue' });
    expect(none.rows).toEqual([]);
    expect(none.types.find((choice) => choice.current)).toMatchObject({ label: 'Sales receipts', count: 0 });
    expect(none.showAll).toBe('/p?');
  });

  it('pages a long history, newest first, and keeps a page past the end to the last one', () => {
    const many = Array.from({ length: 2 * panelPageSize + 3 }, (_, index) =>
      item('Invoice', { Id: String(index), DueDate: '2026-03-30', TotalAmt: 1, Balance: 1 }),
    );
    const first = model(many);
    expect([first.page, first.pages, first.rows.length, first.newer, first.older]).toEqual([
      1,
      3,
      panelPageSize,
      null,
      '/p?page=2',
    ]);
    const last = model(many, { page: 9 });
    expect([last.page, last.rows.length, last.newer, last.older]).toEqual([3, 3, '/p?page=2', null]);
    expect(last.rows[0]!.item.qboId).toBe(String(2 * panelPageSize));
  });
});

describe('the contact’s sync state', () => {
  const contact = (sync: Pick<ContactView['sync'], 'state' | 'lastEvent'>) =>
    ({ sync: { clampedUpdatedAt: null, heldFields: [], ...sync } }) as unknown as ContactView;

  it('reads QuickBooks’ reasons for a rejection', () => {
    expect(contactSyncStatus(null)).toEqual({ state: 'unknown' });
    expect(contactSyncStatus(contact({ state: 'pending', lastEvent: null }))).toEqual({ state: 'pending' });
    const at = '2026-03-02T10:00:00.000Z';
    expect(
      contactSyncStatus(
        contact({
          state: 'rejected',
          lastEvent: {
            kind: 'rejected',
            at,
            fields: ['email'],
            detail: {
              problems: [{ field: 'email', qboField: 'PrimaryEmailAddr', problem: 'is not an email' }],
            },
          },
        }),
      ),
    ).toEqual({
      state: 'rejected',
      at: new Date(at),
      problems: [{ field: 'email', problem: 'is not an email' }],
    });
    // A detail of another shape is not shown as reasons.
    expect(
      contactSyncStatus(
        contact({
          state: 'rejected',
          lastEvent: { kind: 'rejected', at, fields: [], detail: { problems: 'x' } },
        }),
      ),
    ).toEqual({ state: 'rejected', at: new Date(at), problems: [] });
  });
});
