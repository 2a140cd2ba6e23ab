import {
  transactionView,
  type LiveTransactionView,
  type QboTransactionRecord,
  type TransactionType,
} from '../../../src/sync/transactions';

/** A transaction view as the projection stores it, applied on `appliedOn` with USD as the home currency. */
export function view(
  type: TransactionType,
  record: Partial<QboTransactionRecord>,
  appliedOn = '2026-03-01',
): LiveTransactionView {
  return transactionView(
    type,
    { Id: '1', TxnDate: '2026-02-01', ...record },
    { today: appliedOn, homeCurrency: 'USD', environment: 'sandbox' },
  );
}
