import type { BillingProfile } from './customer-mapping';
import { fromCents, toCents } from './money';
import {
  assertIsoDate,
  isInForce,
  isOverdue,
  statusAsOf,
  transactionStatuses,
  type TransactionContext,
  type TransactionStatus,
  type TransactionType,
  type TransactionView,
} from './transactions';

/** Signed contribution to lifetime sales: money in from sales forms, minus credits and refunds. */
export function salesSign(type: TransactionType): 1 | -1 | 0 {
  if (type === 'Invoice' || type === 'SalesReceipt') return 1;
  if (type === 'CreditMemo' || type === 'RefundReceipt') return -1;
  return 0;
}

/** What a transaction's open amount is: owed by the customer (an invoice) or to the customer (unapplied money). */
function openKind(type: TransactionType): 'owed' | 'credit' | null {
  if (type === 'Invoice') return 'owed';
  if (type === 'CreditMemo' || type === 'Payment') return 'credit';
  return null;
}

function daysBetween(from: string, to: string): number {
  const utc = (date: string): number => {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    return Date.UTC(y, m - 1, d);
  };
  return Math.round((utc(to) - utc(from)) / 86_400_000);
}

// --- the billing summary ---

export interface MoneySummary {
  openBalance: number;
  overdueBalance: number;
  creditAvailable: number;
  netBalance: number;
  lifetimeSales: number;
}

export interface BillingSummary extends MoneySummary {
  currency: { code: string; name: string | null };
  lastPaymentDate: string | null;
  /** In the home currency; null when any amount that goes into it has no known home value. */
  home: (MoneySummary & { currency: string }) | null;
  oldestOverdueDays: number | null;
  /** Transactions by status as of `today`, deleted ones included. */
  counts: Record<TransactionStatus, number>;
}

/** Sums in cents; `null` as soon as one needed amount is unknown. */
class CentsTotal {
  private cents = 0;
  private known = true;

  add(sign: number, value: number | null): void {
    if (sign === 0) return;
    if (value === null) this.known = false;
    else this.cents += sign * toCents(value);
  }

  get value(): number | null {
    return this.known ? fromCents(this.cents) : null;
  }

  /** This total less another, unknown if either is. */
  minus(other: CentsTotal): number | null {
    return this.known && other.known ? fromCents(this.cents - other.cents) : null;
  }
}

export function lifetimeSales(
  views: readonly TransactionView[],
  currency: 'customer' | 'home',
): number | null {
  const total = new CentsTotal();
  for (const view of views.filter(isInForce)) {
    total.add(salesSign(view.type), currency === 'home' ? view.homeTotal : view.total);
  }
  return total.value;
}

/** The balances, in the transaction currencies' amounts or in their home values. */
function balances(views: readonly TransactionView[], today: string, currency: 'customer' | 'home') {
  const open = new CentsTotal();
  const overdue = new CentsTotal();
  const credit = new CentsTotal();
  for (const view of views) {
    if (!isInForce(view)) continue;
    const amount = currency === 'home' ? view.homeBalance : view.balance;
    const kind = openKind(view.type);
    if (kind === 'owed') open.add(1, amount);
    if (kind === 'credit') credit.add(1, amount);
    if (isOverdue(view, today)) overdue.add(1, amount);
  }
  const netBalance = open.minus(credit);
  const [openBalance, overdueBalance, creditAvailable] = [open.value, overdue.value, credit.value];
  const sales = lifetimeSales(views, currency);
  if (
    openBalance === null ||
    overdueBalance === null ||
    creditAvailable === null ||
    netBalance === null ||
    sales === null
  )
    return null;
  return { openBalance, overdueBalance, creditAvailable, netBalance, lifetimeSales: sales };
}

/**
 * A customer's payment and billing summary, built from its transaction views, in the customer's currency and (when
 * every amount is known) the home currency. The figures never contradict each other (docs/api.md, "Figures and
 * statuses"):
 * - `openBalance`: what the customer's invoices still owe, the sum of their balances. Never negative.
 * - `overdueBalance`: the part of `openBalance` on invoices past their due date, so never more than it.
 * - `creditAvailable`: the customer's money not yet applied to an invoice: credit memos' remaining credit and
 *   payments' unapplied amounts. Owed to the customer until it is applied or refunded.
 * - `netBalance`: `openBalance − creditAvailable`, as QBO's Customer.Balance nets them; negative when the company
 *   owes the customer.
 * - `lifetimeSales`: invoices and sales receipts, less credit memos and refund receipts.
 * Voided and deleted transactions count for nothing.
 */
export function billingSummary(
  profile: Pick<BillingProfile, 'currency'>,
  views: readonly TransactionView[],
  { today, homeCurrency }: Pick<TransactionContext, 'today' | 'homeCurrency'>,
): BillingSummary {
  assertIsoDate(today, 'today');
  let lastPaymentDate: string | null = null;
  let oldestOverdueDays: number | null = null;
  const counts = Object.fromEntries(transactionStatuses.map((status) => [status, 0])) as Record<
    TransactionStatus,
    number
  >;

  for (const view of views) {
    counts[view.status === 'deleted' ? 'deleted' : statusAsOf(view, today)] += 1;
    if (!isInForce(view)) continue;
    if (isOverdue(view, today) && view.dueDate !== undefined)
      oldestOverdueDays = Math.max(oldestOverdueDays ?? 0, daysBetween(view.dueDate, today));
    // Money received: payments (not the zero ones by which QBO applies a credit), and sales receipts.
    const received = (view.type === 'Payment' && toCents(view.total) > 0) || view.type === 'SalesReceipt';
    if (received && view.txnDate !== '' && (lastPaymentDate === null || view.txnDate > lastPaymentDate))
      lastPaymentDate = view.txnDate;
  }

  // Every customer-currency amount is known, so these are never null.
  const own = balances(views, today, 'customer')!;
  const home = balances(views, today, 'home');
  return {
    currency: profile.currency,
    ...own,
    lastPaymentDate,
    home: home === null ? null : { currency: homeCurrency.toUpperCase(), ...home },
    oldestOverdueDays,
    counts,
  };
}
