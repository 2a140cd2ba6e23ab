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

/**
 * What a transaction's status says, by type (docs/api.md, "Figures and statuses", is the user's account of it):
 * - Invoice: `open` (nothing paid, not past due), `partially_paid` (some paid, not past due), `overdue` (a balance
 *   past its due date, partly paid or not: `partiallyPaid` tells), `paid` (no balance left).
 * - Estimate: QBO's TxnStatus (`pending`, `accepted`, `rejected`, `closed`, `converted`), with `expired` for a
 *   pending one past its expiration date, and `converted` for a closed one that became an invoice or sales receipt.
 * - Payment and CreditMemo, money of the customer's to apply to invoices: `unapplied`, `partially_applied`,
 *   `applied`.
 * - SalesReceipt: `paid` (on the spot). RefundReceipt: `refunded` (money given back to the customer).
 * - Any voidable type: `voided`. Any type: `deleted`.
 */
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
  'refunded',
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
  /** Invoices only: some of it is paid and some still owed, whatever its due date says. */
  partiallyPaid?: boolean;
  /** Voided only: the total before QBO zeroed it, when the sync saw the transaction before it was voided. */
  originalTotal?: number;
  linked: TransactionLink[];
  qboLink: string;
  /** Invoices the customer may pay online: QBO's payment page for it (`InvoiceLink`). */
  paymentLink?: string;
}

/** Another transaction this one names in its LinkedTxn (a payment's invoices, an invoice's estimate). */
export interface TransactionLink {
  type: string;
  id: string;
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

/** The facts an invoice's status is judged from, as the view keeps them. */
type InvoiceFacts = Pick<LiveTransactionView, 'total' | 'balance' | 'dueDate'>;

function invoicePartlyPaid({ total, balance }: Pick<InvoiceFacts, 'total' | 'balance'>): boolean {
  return toCents(balance) > 0 && toCents(balance) < toCents(total);
}

function invoiceStatus(invoice: InvoiceFacts, today: string): LiveTransactionStatus {
  // A zero invoice that was not voided owes nothing, so it is paid rather than "open".
  if (toCents(invoice.balance) <= 0) return 'paid';
  // Overdue first: a part-paid invoice past its due date still needs chasing (`partiallyPaid` keeps the other fact).
  if (invoice.dueDate !== undefined && invoice.dueDate < today) return 'overdue';
  return invoicePartlyPaid(invoice) ? 'partially_paid' : 'open';
}

const estimateStatuses: Record<string, LiveTransactionStatus> = {
  pending: 'pending',
  accepted: 'accepted',
  closed: 'closed',
  rejected: 'rejected',
  converted: 'converted',
};

/** QBO closes an estimate when an invoice or sales receipt is made from it, and links that to it. */
function becameSale(linked: readonly TransactionLink[]): boolean {
  return linked.some((link) => link.type === 'Invoice' || link.type === 'SalesReceipt');
}

function estimateStatus(
  record: QboTransactionRecord,
  linked: readonly TransactionLink[],
): LiveTransactionStatus {
  // QBO leaves TxnStatus out on some estimates; an estimate nobody acted on is pending.
  const status = estimateStatuses[(text(record.TxnStatus) ?? 'pending').toLowerCase()] ?? 'pending';
  return status === 'closed' && becameSale(linked) ? 'converted' : status;
}

/** Payments and credit memos alike: money of the customer's, applied to invoices or not yet. */
function applicationStatus(total: number, open: number): LiveTransactionStatus {
  // Zero payments are how QBO applies a credit memo to an invoice: nothing is left unapplied.
  if (toCents(open) <= 0) return 'applied';
  return toCents(open) >= toCents(total) ? 'unapplied' : 'partially_applied';
}

/** Whether an invoice view is partly paid; views stored before `partiallyPaid` existed said so with their status. */
function partlyPaid(view: LiveTransactionView): boolean {
  return view.partiallyPaid ?? view.status === 'partially_paid';
}

/**
 * The status of a view as of `today`. Time moves on after a view is stored: an invoice falls overdue (or, judged on
 * an earlier day, is not overdue yet), a pending estimate expires. Everything else was settled when it was stored.
 */
export function statusAsOf(view: LiveTransactionView, today: string): LiveTransactionStatus {
  const { status } = view;
  if (view.type === 'Invoice' && (status === 'open' || status === 'partially_paid' || status === 'overdue')) {
    if (view.dueDate !== undefined && view.dueDate < today) return 'overdue';
    return partlyPaid(view) ? 'partially_paid' : 'open';
  }
  if (view.type === 'Estimate' && (status === 'pending' || status === 'expired'))
    return view.expirationDate !== undefined && view.expirationDate < today ? 'expired' : 'pending';
  return status;
}

/** The view as of `today`: its status judged on that day, and whether an invoice is partly paid. */
export function viewAsOf(view: LiveTransactionView, today: string): LiveTransactionView {
  const status = statusAsOf(view, today);
  const invoice = view.type === 'Invoice' && status !== 'voided';
  return { ...view, status, ...(invoice && { partiallyPaid: partlyPaid(view) }) };
}

const linkKey = (type: string, id: string): string => `${type}:${id}`;

/**
 * Each transaction's links seen from both ends, by `type:qboId`. QBO names a link on one side or both: a payment
 * names its invoices and they name it, an invoice made from an estimate names the estimate, which names it back
 * only when QBO closed it. Either end is enough to relate them.
 */
export function linksFromBothEnds(
  views: readonly Pick<LiveTransactionView, 'type' | 'qboId' | 'linked'>[],
): Map<string, TransactionLink[]> {
  const links = new Map<string, TransactionLink[]>();
  const add = (from: string, to: TransactionLink): void => {
    const known = links.get(from) ?? [];
    if (!known.some((link) => link.type === to.type && link.id === to.id)) links.set(from, [...known, to]);
  };
  for (const view of views)
    for (const link of view.linked) {
      add(linkKey(view.type, view.qboId), link);
      add(linkKey(link.type, link.id), { type: view.type, id: view.qboId });
    }
  return links;
}

/** The links of one transaction in an index from `linksFromBothEnds`. */
export function linksOf(
  index: Map<string, TransactionLink[]>,
  view: Pick<LiveTransactionView, 'type' | 'qboId'>,
): TransactionLink[] {
  return index.get(linkKey(view.type, view.qboId)) ?? [];
}

function baseStatus(
  type: TransactionType,
  record: QboTransactionRecord,
  facts: { total: number; balance: number; dueDate?: string; linked: readonly TransactionLink[] },
  today: string,
): LiveTransactionStatus {
  if (type !== 'Estimate' && isVoided(record)) return 'voided';
  switch (type) {
    case 'Invoice':
      return invoiceStatus(facts, today);
    case 'Estimate':
      return estimateStatus(record, facts.linked);
    case 'Payment':
    case 'CreditMemo':
      return applicationStatus(facts.total, facts.balance);
    case 'SalesReceipt':
      return 'paid';
    case 'RefundReceipt':
      return 'refunded';
  }
}

function linkedTransactions(record: QboTransactionRecord): TransactionLink[] {
  // Payments link invoices per line; other forms link at the top.
  const all = [...(record.LinkedTxn ?? []), ...(record.Line ?? []).flatMap((line) => line.LinkedTxn ?? [])];
  const seen = new Set<string>();
  const linked: TransactionLink[] = [];
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

/**
 * QBO sends `InvoiceLink` only when a read asks for it, so a version read without it (CDC, a webhook fetch) keeps
 * the link the previous view had, while the invoice still takes online payment.
 */
function paymentLinkOf(
  type: TransactionType,
  record: QboTransactionRecord,
  known: string | undefined,
): string | undefined {
  if (type !== 'Invoice' || isVoided(record)) return undefined;
  return text(record.InvoiceLink) ?? (takesOnlinePayment(record) ? known : undefined);
}

/**
 * QBO zeroes a voided transaction's amounts, so its total before is known only from the view held before: the one
 * `previous` is, when the sync saw it.
 */
function totalBeforeVoid(previous: PreviousView | undefined): number | undefined {
  if (previous === undefined) return undefined;
  return previous.status === 'voided' ? previous.originalTotal : previous.total;
}

/** What `transactionView` needs of the view held before: enough to keep a voided total and a payment link. */
export type PreviousView = Pick<LiveTransactionView, 'status' | 'total' | 'originalTotal' | 'paymentLink'>;

/** The view of a QBO record; `previous` is the view held of it until now, if any. */
export function transactionView(
  type: TransactionType,
  record: QboTransactionRecord,
  { today, homeCurrency, environment }: TransactionContext,
  previous?: PreviousView,
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
  const linked = linkedTransactions(record);
  const status = baseStatus(type, record, { total, balance, dueDate, linked }, today);
  const originalTotal = status === 'voided' ? totalBeforeVoid(previous) : undefined;
  const paymentLink = paymentLinkOf(type, record, previous?.paymentLink);
  const view: LiveTransactionView = {
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
    status,
    ...(type === 'Invoice' &&
      status !== 'voided' && { partiallyPaid: invoicePartlyPaid({ total, balance }) }),
    ...(originalTotal !== undefined && { originalTotal }),
    linked,
    qboLink: qboLink(type, record.Id, environment),
    ...(paymentLink !== undefined && { paymentLink }),
  };
  // An estimate's expiry is judged like any later day's.
  return viewAsOf(view, today);
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
