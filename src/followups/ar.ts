import { billingSummary } from '../sync/billing-summary';
import { contactTags, type ContactTag } from '../sync/tags';
import { isInForce, type TransactionView } from '../sync/transactions';
import { daysBetween } from './stages';

/**
 * A contact's accounts-receivable figures from its transaction history. Balances come from the billing summary;
 * payment behaviour is read from which payments settled which invoices. Pure: `today` is passed in.
 */
export interface ArFigures {
  /** The customer's currency; balances are in it. */
  currency: string;
  openBalance: number;
  overdueBalance: number;
  /** Home-currency balances; null when an amount that goes into them has no known home value. */
  home: { currency: string; openBalance: number; overdueBalance: number } | null;
  oldestOverdueDays: number | null;
  /** Over paid invoices whose settling payment is known: days from the invoice date to the last payment. */
  averageDaysToPay: number | null;
  /** Share of those invoices paid on or before their due date (0–1). */
  onTimePaymentRatio: number | null;
  /** How many invoices the two figures above are based on. */
  paidInvoicesMeasured: number;
}

export interface ContactArState {
  tags: ContactTag[];
  figures: ArFigures;
}

export interface ArContext {
  today: string;
  homeCurrency: string;
  customerCurrency: string;
  /** Home-currency lifetime sales from which a contact is `qb:high-value` (the account's setting). */
  highValueThreshold?: number;
}

/** When each invoice was settled: the latest date among the payments linked to it, seen from either side. */
function settlementDates(views: readonly TransactionView[]): Map<string, string> {
  const live = views.filter(isInForce);
  const paymentDates = new Map(
    live.filter((view) => view.type === 'Payment').map((view) => [view.qboId, view.txnDate]),
  );
  const settled = new Map<string, string>();
  const note = (invoiceId: string, date: string | undefined): void => {
    if (date === undefined || date === '') return;
    const known = settled.get(invoiceId);
    if (known === undefined || date > known) settled.set(invoiceId, date);
  };
  for (const view of live) {
    for (const link of view.linked) {
      if (view.type === 'Invoice' && link.type === 'Payment') note(view.qboId, paymentDates.get(link.id));
      if (view.type === 'Payment' && link.type === 'Invoice') note(link.id, view.txnDate);
    }
  }
  return settled;
}

export function arFigures(views: readonly TransactionView[], context: ArContext): ArFigures {
  const summary = billingSummary({ currency: { code: context.customerCurrency, name: null } }, views, {
    today: context.today,
    homeCurrency: context.homeCurrency,
  });
  const settled = settlementDates(views);
  let measured = 0;
  let totalDays = 0;
  let onTime = 0;
  for (const view of views) {
    if (!isInForce(view) || view.type !== 'Invoice' || view.status !== 'paid' || view.total <= 0) continue;
    const paidOn = settled.get(view.qboId);
    // Paid by a credit memo, or by a payment we have not seen: no date to measure.
    if (paidOn === undefined) continue;
    measured += 1;
    totalDays += Math.max(0, daysBetween(view.txnDate, paidOn));
    if (paidOn <= (view.dueDate ?? view.txnDate)) onTime += 1;
  }
  return {
    currency: summary.currency.code,
    openBalance: summary.openBalance,
    overdueBalance: summary.overdueBalance,
    home:
      summary.home === null
        ? null
        : {
            currency: summary.home.currency,
            openBalance: summary.home.openBalance,
            overdueBalance: summary.home.overdueBalance,
          },
    oldestOverdueDays: summary.oldestOverdueDays,
    averageDaysToPay: measured === 0 ? null : Math.round((totalDays / measured) * 10) / 10,
    onTimePaymentRatio: measured === 0 ? null : Math.round((onTime / measured) * 1000) / 1000,
    paidInvoicesMeasured: measured,
  };
}

export function contactArState(views: readonly TransactionView[], context: ArContext): ContactArState {
  return {
    tags: contactTags(views, {
      today: context.today,
      ...(context.highValueThreshold !== undefined && { highValueThreshold: context.highValueThreshold }),
    }),
    figures: arFigures(views, context),
  };
}
