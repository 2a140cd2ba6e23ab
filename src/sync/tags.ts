import { toCents } from './money';
import { lifetimeSales } from './billing-summary';
import { assertIsoDate, isInForce, isOverdue, type TransactionView } from './transactions';

/**
 * CRM tags derived from a contact's QBO transactions. Voided and deleted transactions never count.
 * - `qb:customer`: has bought or paid: at least one Invoice, SalesReceipt or Payment.
 * - `qb:overdue`: at least one Invoice with an open balance past its due date (before `today`).
 * - `qb:estimate-open`: at least one Estimate still awaiting a decision or an invoice: pending (not yet expired)
 *   or accepted (agreed but not yet converted).
 * - `qb:high-value`: only when a threshold is given: lifetime sales (invoices + sales receipts − credit memos −
 *   refund receipts) in the home currency reach it. The threshold is in the home currency so one number works for
 *   every customer; when a home amount is unknown the tag is not given rather than guessed.
 */
export const contactTagNames = ['qb:customer', 'qb:overdue', 'qb:estimate-open', 'qb:high-value'] as const;
export type ContactTag = (typeof contactTagNames)[number];

export interface TagOptions {
  today: string;
  /** Home-currency lifetime sales at or above which a contact is `qb:high-value`; no tag when omitted. */
  highValueThreshold?: number;
}

export function contactTags(
  views: readonly TransactionView[],
  { today, highValueThreshold }: TagOptions,
): ContactTag[] {
  assertIsoDate(today, 'today');
  const live = views.filter(isInForce);
  const tags = new Set<ContactTag>();
  if (
    live.some((view) => view.type === 'Invoice' || view.type === 'SalesReceipt' || view.type === 'Payment')
  ) {
    tags.add('qb:customer');
  }
  if (live.some((view) => isOverdue(view, today))) tags.add('qb:overdue');
  if (
    live.some((view) => view.type === 'Estimate' && (view.status === 'pending' || view.status === 'accepted'))
  ) {
    tags.add('qb:estimate-open');
  }
  if (highValueThreshold !== undefined) {
    const sales = lifetimeSales(views, 'home');
    if (sales !== null && toCents(sales) >= toCents(highValueThreshold)) tags.add('qb:high-value');
  }
  return contactTagNames.filter((tag) => tags.has(tag));
}
