import { roundMoney, toCents } from './money';

/**
 * A customer's QBO transactions as the CRM sees them (the "QuickBooks Transactions" folder): status, amounts in both
 * currencies and deep links. Pure: `today` and the home currency are passed in.
 */

export const transactionTypes = [
  'Invoice',
  'Payment',
  'Estimate',
  'SalesReceipt',
  'CreditMemo',
  'RefundReceipt',
] as const;
export type TransactionType = (typeof transactionTypes)[number];

/**
 * Everything the sync engine reads from QBO, customers first so transactions find their customer; the products and
 * services (Item) last, as they came last.
 */
export const syncedEntities = ['Customer', ...transactionTypes, 'Item'] as const;
export type SyncedEntity = (typeof syncedEntities)[number];

export type Environment = 'sandbox' | 'production';
export type LinkEntity = 'Customer' | TransactionType;

export const transactionStatuses = [
  'open',
  'overdue',
  'paid',
  'partially_paid',
  'pending',
  'accepted',
  'closed',
  'rejected',
  'converted',
  'expired',
  'applied',
  'unapplied',
  'partially_applied',
  'voided',
  'deleted',
] as const;
export type TransactionStatus = (typeof transactionStatuses)[number];
export type LiveTransactionStatus = Exclude<TransactionStatus, 'deleted'>;

interface QboRef {
  value?: string;
  name?: string;
}
interface QboLinkedTxn {
  TxnId?: string;
  TxnType?: string;
}

/** The parts of a QBO sales transaction that the view reads; anything else on the record is ignored. */
export interface QboTransactionRecord {
  Id: string;
  SyncToken?: string;
  DocNumber?: string;
  PaymentRefNum?: string;
  TxnDate?: string;
  DueDate?: string;
  ExpirationDate?: string;
  CurrencyRef?: QboRef;
  ExchangeRate?: number;
  TotalAmt?: number;
  Balance?: number;
  HomeTotalAmt?: number;
  HomeBalance?: number;
  UnappliedAmt?: number;
  RemainingCredit?: number;
  TxnStatus?: string;
  PrivateNote?: string;
  LinkedTxn?: QboLinkedTxn[];
  Line?: { LinkedTxn?: QboLinkedTxn[] }[];
  CustomerRef?: QboRef;
  MetaData?: { CreateTime?: string; LastUpdatedTime?: string };
  AllowOnlineCreditCardPayment?: boolean;
  AllowOnlineACHPayment?: boolean;
  /** Only on reads that ask for it (`include=invoiceLink`). */
  InvoiceLink?: string;
}

export interface LiveTransactionView {
  type: TransactionType;
  qboId: string;
  number?: string;
  txnDate: string;
  dueDate?: string;
  expirationDate?: string;
  currency: { code: string; name?: string };
  /** Home units per one unit of the transaction currency; null when QBO gave none for a foreign currency. */
  exchangeRate: number | null;
  total: number;
  /** What is still open on the document: owed (Invoice), unapplied (Payment), remaining credit (CreditMemo). */
  balance: number;
  homeTotal: number | null;
  homeBalance: number | null;
  status: LiveTransactionStatus;
  linked: { type: string; id: string }[];
  qboLink: string;
  /** Invoices the customer may pay online: QBO's payment page for it (`InvoiceLink`). */
  paymentLink?: string;
}

/** A transaction deleted in QBO. CDC gives only its Id, so what was known before is kept under `last`. */
export interface DeletedTransactionView {
  type: TransactionType;
  qboId: string;
  status: 'deleted';
  deletedAt: string;
  last?: LiveTransactionView;
}

export type TransactionView = LiveTransactionView | DeletedTransactionView;

export interface TransactionContext {
  /** `yyyy-MM-dd` in the company's time zone. */
  today: string;
  homeCurrency: string;
  environment: Environment;
  /**
   * The invoice's payment link as last seen. QBO sends `InvoiceLink` only when a read asks for it, so a version read
   * without it (CDC, a webhook fetch) keeps the known link while the invoice still takes online payment.
   */
  knownPaymentLink?: string;
}

// --- deep links (undocumented by Intuit; the patterns integrations use) ---

const appHosts: Record<Environment, string> = {
  production: 'https://qbo.intuit.com/app/',
  sandbox: 'https://sandbox.qbo.intuit.com/app/',
};

const linkPaths: Record<LinkEntity, string> = {
  Customer: 'customerdetail?nameId=',
  Invoice: 'invoice?txnId=',
  Payment: 'recvpayment?txnId=',
  Estimate: 'estimate?txnId=',
  SalesReceipt: 'salesreceipt?txnId=',
  CreditMemo: 'creditmemo?txnId=',
  RefundReceipt: 'refundreceipt?txnId=',
};

/** A link that opens the entity in the QBO web app (in whichever company the browser is signed into). */
export function qboLink(entity: LinkEntity, id: string, environment: Environment): string {
  return `${appHosts[environment]}${linkPaths[entity]}${encodeURIComponent(id)}`;
}

// --- the view of one transaction ---

const isoDate = /^\d{4}-\d{2}-\d{2}$/;

export function assertIsoDate(value: string, name: string): void {
  if (!isoDate.test(value)) throw new RangeError(`${name} must be a yyyy-MM-dd date, got "${value}"`);
}

/** QBO sends numbers, but a stored or hand-made record may carry numeric strings. */
function amount(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** QBO voids by zeroing the amounts and prefixing PrivateNote with "Voided". */
/** QBO marks a void only in the note it prepends, with every amount zeroed. */
export function isVoided(record: QboTransactionRecord): boolean {
  return (text(record.PrivateNote) ?? '').startsWith('Voided') && (amount(record.TotalAmt) ?? 0) === 0;
}

function openAmount(type: TransactionType, record: QboTransactionRecord): number {
  switch (type) {
    case 'Invoice':
      return amount(record.Balance) ?? 0;
    case 'Payment':
      return amount(record.UnappliedAmt) ?? 0;
    case 'CreditMemo':
      return amount(record.RemainingCredit) ?? amount(record.Balance) ?? 0;
    default:
      // Receipts are settled on the spot ("Balance is always 0"); an estimate is not a receivable.
      return 0;
  }
}

function invoiceStatus(record: QboTransactionRecord, today: string): LiveTransactionStatus {
  if (isVoided(record)) return 'voided';
  const total = toCents(amount(record.TotalAmt) ?? 0);
  const balance = toCents(amount(record.Balance) ?? 0);
  // A zero invoice that was not voided owes nothing, so it is paid rather than "open".
  if (balance <= 0) return 'paid';
  const due = text(record.DueDate);
  // Overdue before partially paid: a part-paid invoice past its due date still needs chasing.
  if (due !== undefined && due < today) return 'overdue';
  if (balance < total) return 'partially_paid';
  return 'open';
}

const estimateStatuses: Record<string, LiveTransactionStatus> = {
  pending: 'pending',
  accepted: 'accepted',
  closed: 'closed',
  rejected: 'rejected',
  converted: 'converted',
};

function estimateStatus(record: QboTransactionRecord, today: string): LiveTransactionStatus {
  // QBO leaves TxnStatus out on some estimates; an estimate nobody acted on is pending.
  const status = estimateStatuses[(text(record.TxnStatus) ?? 'pending').toLowerCase()] ?? 'pending';
  const expires = text(record.ExpirationDate);
  if (status === 'pending' && expires !== undefined && expires < today) return 'expired';
  return status;
}

function paymentStatus(record: QboTransactionRecord): LiveTransactionStatus {
  if (isVoided(record)) return 'voided';
  const total = toCents(amount(record.TotalAmt) ?? 0);
  const unapplied = toCents(amount(record.UnappliedAmt) ?? 0);
  // Zero payments are how QBO applies a credit memo to an invoice: nothing is left unapplied.
  if (unapplied <= 0) return 'applied';
  if (unapplied >= total) return 'unapplied';
  return 'partially_applied';
}

function creditMemoStatus(record: QboTransactionRecord): LiveTransactionStatus {
  if (isVoided(record)) return 'voided';
  return toCents(openAmount('CreditMemo', record)) > 0 ? 'open' : 'applied';
}

export function transactionStatus(
  type: TransactionType,
  record: QboTransactionRecord,
  today: string,
): LiveTransactionStatus {
  switch (type) {
    case 'Invoice':
      return invoiceStatus(record, today);
    case 'Estimate':
      return estimateStatus(record, today);
    case 'Payment':
      return paymentStatus(record);
    case 'CreditMemo':
      return creditMemoStatus(record);
    case 'SalesReceipt':
    case 'RefundReceipt':
      return isVoided(record) ? 'voided' : 'paid';
  }
}

function linkedTransactions(record: QboTransactionRecord): { type: string; id: string }[] {
  // Payments link invoices per line; other forms link at the top.
  const all = [...(record.LinkedTxn ?? []), ...(record.Line ?? []).flatMap((line) => line.LinkedTxn ?? [])];
  const seen = new Set<string>();
  const linked: { type: string; id: string }[] = [];
  for (const link of all) {
    const type = text(link.TxnType);
    const id = text(link.TxnId);
    if (type === undefined || id === undefined || seen.has(`${type}:${id}`)) continue;
    seen.add(`${type}:${id}`);
    linked.push({ type, id });
  }
  return linked;
}

/** Whether the customer may pay the invoice online, by card or bank transfer. */
export function takesOnlinePayment(record: QboTransactionRecord): boolean {
  return record.AllowOnlineCreditCardPayment === true || record.AllowOnlineACHPayment === true;
}

function paymentLinkOf(
  type: TransactionType,
  record: QboTransactionRecord,
  known: string | undefined,
): string | undefined {
  if (type !== 'Invoice' || isVoided(record)) return undefined;
  return text(record.InvoiceLink) ?? (takesOnlinePayment(record) ? known : undefined);
}

export function transactionView(
  type: TransactionType,
  record: QboTransactionRecord,
  { today, homeCurrency, environment, knownPaymentLink }: TransactionContext,
): LiveTransactionView {
  assertIsoDate(today, 'today');
  const home = homeCurrency.toUpperCase();
  const code = (text(record.CurrencyRef?.value) ?? home).toUpperCase();
  const currencyName = text(record.CurrencyRef?.name);
  const inHome = code === home;
  const givenRate = amount(record.ExchangeRate);
  const recordRate = givenRate !== undefined && givenRate > 0 ? givenRate : undefined;

  const total = roundMoney(amount(record.TotalAmt) ?? 0);
  const balance = roundMoney(openAmount(type, record));
  // Never a silent 1: a foreign amount without a rate from QBO has no known home value.
  const toHome = (value: number, given: number | undefined): number | null => {
    if (given !== undefined) return roundMoney(given);
    if (value === 0 || inHome) return value;
    return recordRate !== undefined ? roundMoney(value * recordRate) : null;
  };
  // HomeBalance is the home value of Balance, which is the open amount only on Invoices and CreditMemos.
  const givenHomeBalance =
    type === 'Invoice' || type === 'CreditMemo' ? amount(record.HomeBalance) : undefined;

  const number = text(record.DocNumber) ?? (type === 'Payment' ? text(record.PaymentRefNum) : undefined);
  const dueDate = type === 'Invoice' ? text(record.DueDate) : undefined;
  const expirationDate = type === 'Estimate' ? text(record.ExpirationDate) : undefined;
  const paymentLink = paymentLinkOf(type, record, knownPaymentLink);
  return {
    type,
    qboId: record.Id,
    ...(number !== undefined && { number }),
    // QBO always sets TxnDate; the creation date is the best stand-in for a record that lacks one.
    txnDate: text(record.TxnDate) ?? (text(record.MetaData?.CreateTime) ?? '').slice(0, 10),
    ...(dueDate !== undefined && { dueDate }),
    ...(expirationDate !== undefined && { expirationDate }),
    currency: currencyName === undefined ? { code } : { code, name: currencyName },
    exchangeRate: recordRate ?? (inHome ? 1 : null),
    total,
    balance,
    homeTotal: toHome(total, amount(record.HomeTotalAmt)),
    homeBalance: toHome(balance, givenHomeBalance),
    status: transactionStatus(type, record, today),
    linked: linkedTransactions(record),
    qboLink: qboLink(type, record.Id, environment),
    ...(paymentLink !== undefined && { paymentLink }),
  };
}

export function deletedView(
  type: TransactionType,
  id: string,
  deletedAt: string,
  last?: LiveTransactionView,
): DeletedTransactionView {
  return { type, qboId: id, status: 'deleted', deletedAt, ...(last !== undefined && { last }) };
}

export function isLive(view: TransactionView): view is LiveTransactionView {
  return view.status !== 'deleted';
}

/** A transaction that counts toward balances and sales: neither deleted nor voided. */
export type InForceTransactionView = LiveTransactionView & {
  status: Exclude<LiveTransactionStatus, 'voided'>;
};

export function isInForce(view: TransactionView): view is InForceTransactionView {
  return view.status !== 'deleted' && view.status !== 'voided';
}

/** Overdue by balance and due date, whatever else the status says. */
export function isOverdue(view: TransactionView, today: string): boolean {
  return (
    isInForce(view) &&
    view.type === 'Invoice' &&
    toCents(view.balance) > 0 &&
    view.dueDate !== undefined &&
    view.dueDate < today
  );
}
