import type { BillingProfile } from './customer-mapping';
import { fromCents, toCents } from './money';
import {
  assertIsoDate,
  isInForce,
  isOverdue,
  transactionStatuses,
  type TransactionContext,
  type TransactionStatus,
  type TransactionType,
  type TransactionView,
} from './transactions';

/**
 * A customer's payment and billing summary, built from its transaction views: open and overdue balances, lifetime
 * sales and last payment, in the customer's currency and (when every amount is known) the home currency.
 */
/** Signed contribution to lifetime sales: money in from sales forms, minus credits and refunds. */
export function salesSign(type: TransactionType): 1 | -1 | 0 {
  if (type === 'Invoice' || type === 'SalesReceipt') return 1;
  if (type === 'CreditMemo' || type === 'RefundReceipt') return -1;
  return 0;
}

/** Signed contribution of the open amount to the customer balance, as QBO computes Customer.Balance. */
function balanceSign(type: TransactionType): 1 | -1 | 0 {
  if (type === 'Invoice') return 1;
  if (type === 'CreditMemo' || type === 'Payment') return -1;
  return 0;
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
  lifetimeSales: number;
}

export interface BillingSummary extends MoneySummary {
  currency: { code: string; name: string | null };
  lastPaymentDate: string | null;
  /** In the home currency; null when any amount that goes into it has no known home value. */
  home: (MoneySummary & { currency: string }) | null;
  oldestOverdueDays: number | null;
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

export function billingSummary(
  profile: Pick<BillingProfile, 'currency'>,
  views: readonly TransactionView[],
  { today, homeCurrency }: Pick<TransactionContext, 'today' | 'homeCurrency'>,
): BillingSummary {
  assertIsoDate(today, 'today');
  const open = new CentsTotal();
  const homeOpen = new CentsTotal();
  const overdue = new CentsTotal();
  const homeOverdue = new CentsTotal();
  let lastPaymentDate: string | null = null;
  let oldestOverdueDays: number | null = null;
  const counts = Object.fromEntries(transactionStatuses.map((status) => [status, 0])) as Record<
    TransactionStatus,
    number
  >;

  for (const view of views) {
    counts[view.status] += 1;
    if (!isInForce(view)) continue;
    open.add(balanceSign(view.type), view.balance);
    homeOpen.add(balanceSign(view.type), view.homeBalance);
    if (isOverdue(view, today) && view.dueDate !== undefined) {
      overdue.add(1, view.balance);
      homeOverdue.add(1, view.homeBalance);
      const days = daysBetween(view.dueDate, today);
      oldestOverdueDays = Math.max(oldestOverdueDays ?? 0, days);
    }
    // Money received: payments, and sales receipts (paid on the spot).
    if ((view.type === 'Payment' || view.type === 'SalesReceipt') && view.txnDate !== '') {
      if (lastPaymentDate === null || view.txnDate > lastPaymentDate) lastPaymentDate = view.txnDate;
    }
  }

  const homeSales = lifetimeSales(views, 'home');
  const homeOpenValue = homeOpen.value;
  const homeOverdueValue = homeOverdue.value;
  return {
    currency: profile.currency,
    openBalance: open.value ?? 0,
    overdueBalance: overdue.value ?? 0,
    lifetimeSales: lifetimeSales(views, 'customer') ?? 0,
    lastPaymentDate,
    home:
      homeSales === null || homeOpenValue === null || homeOverdueValue === null
        ? null
        : {
            currency: homeCurrency.toUpperCase(),
            openBalance: homeOpenValue,
            overdueBalance: homeOverdueValue,
            lifetimeSales: homeSales,
          },
    oldestOverdueDays,
    counts,
  };
}
