import { z } from 'zod';
import type { ContactView } from '../../contacts/service';
import type { ContactArState } from '../../followups/ar';
import {
  liveTransactionStatusSchema,
  transactionTypeSchema,
  type ContactSection,
  type TransactionItem,
} from '../../contacts/section';
import {
  linksFromBothEnds,
  linksOf,
  type LiveTransactionStatus,
  type TransactionType,
} from '../../sync/transactions';

/**
 * What the panel shows, worked out from the contact's QuickBooks section before any markup: the filtered page of
 * transactions, how they relate (payments to the invoices they paid, estimates to the invoices they became), the
 * filter choices with their counts, and the contact's sync state. Pure.
 */

export const panelPageSize = 25;

/** What the person chose: a type, a status, a page; carried in the panel's URL beside its token. */
export const panelViewSchema = z.object({
  type: transactionTypeSchema.optional(),
  status: liveTransactionStatusSchema.optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});
export type PanelView = z.infer<typeof panelViewSchema>;

/** The contact as the sync engine last saw it. */
export type ContactSyncStatus =
  | { state: 'unknown' }
  | { state: 'pending' }
  | { state: 'synced' }
  | { state: 'rejected'; at: Date | null; problems: { field: string; problem: string }[] }
  | { state: 'deleted' };

export interface PanelInput {
  /** Null when the contact has no live link to a QuickBooks customer. */
  section: ContactSection | null;
  contact: ContactSyncStatus;
  /** Tags and payment behaviour, from the same transactions. */
  ar: ContactArState | null;
  /** When the connection last read QuickBooks' changes. */
  lastSyncedAt: Date | null;
  now: Date;
  view: PanelView;
  /** The panel's own URL for another view (its token included). */
  href: (view: Partial<PanelView>) => string;
}

/** What was wrong with a panel URL's filters, said in words a person can act on. */
export function viewProblems(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const name = issue.path.join('.');
      if (issue.code === 'invalid_value') return `${name} must be one of ${issue.values.join(', ')}`;
      if (name === 'page') return 'page must be a whole number, 1 or more';
      return `${name}: ${issue.message}`;
    })
    .join('; ');
}

const problemsSchema = z.array(z.object({ field: z.string(), problem: z.string() }).loose());

/** The sync state of a contact as the API reads it (`readContact`), with QuickBooks' reasons for a refusal. */
export function contactSyncStatus(contact: ContactView | null): ContactSyncStatus {
  if (contact === null) return { state: 'unknown' };
  const { state, lastEvent } = contact.sync;
  if (state !== 'rejected') return { state };
  const problems =
    lastEvent?.kind === 'rejected' ? problemsSchema.safeParse(lastEvent.detail.problems) : undefined;
  return {
    state,
    at: lastEvent ? new Date(lastEvent.at) : null,
    problems: problems?.success ? problems.data.map(({ field, problem }) => ({ field, problem })) : [],
  };
}

// --- transactions and how they relate ---

export const typeLabels: Record<TransactionType, { one: string; many: string }> = {
  Invoice: { one: 'Invoice', many: 'Invoices' },
  Payment: { one: 'Payment', many: 'Payments' },
  Estimate: { one: 'Estimate', many: 'Estimates' },
  SalesReceipt: { one: 'Sales receipt', many: 'Sales receipts' },
  CreditMemo: { one: 'Credit memo', many: 'Credit memos' },
  RefundReceipt: { one: 'Refund receipt', many: 'Refund receipts' },
};

const isTransactionType = (type: string): type is TransactionType => type in typeLabels;

/** How people name a transaction: its type and number (a payment's reference). */
export function transactionTitle(item: Pick<TransactionItem, 'type' | 'number'>): string {
  const label = typeLabels[item.type].one;
  return item.number === undefined ? label : `${label} ${item.number}`;
}

/** The fragment id of a transaction's row. */
export const rowAnchor = (type: string, qboId: string): string =>
  `txn-${type}-${qboId}`.replace(/[^\w-]/g, '_');

/** Money that goes to the customer, not from them: shown as a negative amount. */
export const owedToCustomer = (type: TransactionType): boolean =>
  type === 'CreditMemo' || type === 'RefundReceipt';

export interface RelatedTransaction {
  label: string;
  /** Where its row is, on whichever page holds it; null when the panel does not show it. */
  href: string | null;
}

export interface Relation {
  /** "Paid", "Paid by", "From", "Became", or "Linked to". */
  verb: string;
  targets: RelatedTransaction[];
}

export interface TransactionRow {
  item: TransactionItem;
  title: string;
  anchor: string;
  relations: Relation[];
}

/** The order relations are told in: where a document came from, then what became of it. */
const verbOrder = ['From', 'Became', 'Paid', 'Paid by', 'Linked to'];

/** The verb for a link seen from `from`'s side, as a bookkeeper says it. */
function verbOf(from: TransactionType, to: string): string {
  if (from === 'Payment' && to === 'Invoice') return 'Paid';
  if (from === 'Invoice' && to === 'Payment') return 'Paid by';
  if ((from === 'Invoice' || from === 'SalesReceipt') && to === 'Estimate') return 'From';
  if (from === 'Estimate' && (to === 'Invoice' || to === 'SalesReceipt')) return 'Became';
  return 'Linked to';
}

const key = (type: string, id: string): string => `${type}:${id}`;

export interface FilterChoice<T extends string> {
  value: T | undefined;
  label: string;
  count: number;
  current: boolean;
  href: string;
}

export interface PanelTransactions {
  rows: TransactionRow[];
  /** How many match the filters, over every page. */
  matching: number;
  page: number;
  pages: number;
  newer: string | null;
  older: string | null;
  types: FilterChoice<TransactionType>[];
  statuses: FilterChoice<LiveTransactionStatus>[];
  filtered: boolean;
  showAll: string;
}

const matches = (view: Pick<PanelView, 'type' | 'status'>) => (item: TransactionItem) =>
  (view.type === undefined || item.type === view.type) &&
  (view.status === undefined || item.status === view.status);

function countBy<T extends string>(items: readonly TransactionItem[], value: (item: TransactionItem) => T) {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(value(item), (counts.get(value(item)) ?? 0) + 1);
  return counts;
}

/** The page of transactions to show, the filter choices (each counted under the other filter), and the links. */
export function panelTransactions(
  all: readonly TransactionItem[],
  input: Pick<PanelInput, 'view' | 'href'>,
  statusLabel: (status: LiveTransactionStatus) => string,
): PanelTransactions {
  const { view, href } = input;
  const selected = all.filter(matches(view));
  const pages = Math.max(1, Math.ceil(selected.length / panelPageSize));
  // Past the last page (the history shrank since the link was made): the last page.
  const page = Math.min(view.page, pages);
  const filters = { type: view.type, status: view.status };

  /** Where a transaction's row is: on its page within these filters, or else within all transactions. */
  const located = new Map<string, string>();
  const locate = (items: readonly TransactionItem[], base: Partial<PanelView>) =>
    items.forEach((item, index) => {
      const id = key(item.type, item.qboId);
      if (!located.has(id))
        located.set(
          id,
          `${href({ ...base, page: Math.floor(index / panelPageSize) + 1 })}#${rowAnchor(item.type, item.qboId)}`,
        );
    });
  locate(selected, filters);
  locate(all, {});
  const byKey = new Map(all.map((item) => [key(item.type, item.qboId), item]));
  // QBO may name a relation on one side only: either is enough.
  const links = linksFromBothEnds(all);

  const rows = selected
    .slice((page - 1) * panelPageSize, page * panelPageSize)
    .map((item): TransactionRow => {
      const relations: Relation[] = [];
      for (const link of linksOf(links, item)) {
        const target = byKey.get(key(link.type, link.id));
        const verb = verbOf(item.type, link.type);
        const related: RelatedTransaction = {
          label: target
            ? transactionTitle(target)
            : `${isTransactionType(link.type) ? typeLabels[link.type].one : link.type} (QuickBooks id ${link.id})`,
          href: located.get(key(link.type, link.id)) ?? null,
        };
        const relation = relations.find((known) => known.verb === verb);
        if (relation) relation.targets.push(related);
        else relations.push({ verb, targets: [related] });
      }
      relations.sort((a, b) => verbOrder.indexOf(a.verb) - verbOrder.indexOf(b.verb));
      return { item, title: transactionTitle(item), anchor: rowAnchor(item.type, item.qboId), relations };
    });

  const typeCounts = countBy(all.filter(matches({ status: view.status })), (item) => item.type);
  const statusCounts = countBy(all.filter(matches({ type: view.type })), (item) => item.status);
  const types = (Object.keys(typeLabels) as TransactionType[])
    .filter((type) => typeCounts.has(type) || type === view.type)
    .map((type) => ({
      value: type,
      label: typeLabels[type].many,
      count: typeCounts.get(type) ?? 0,
      current: view.type === type,
      href: href({ type, status: view.status }),
    }));
  const statuses = [...new Set([...statusCounts.keys(), ...(view.status ? [view.status] : [])])].map(
    (status) => ({
      value: status,
      label: statusLabel(status),
      count: statusCounts.get(status) ?? 0,
      current: view.status === status,
      href: href({ type: view.type, status }),
    }),
  );
  const allOf = (count: number, current: boolean, target: Partial<PanelView>) => ({
    value: undefined,
    label: 'All',
    count,
    current,
    href: href(target),
  });
  return {
    rows,
    matching: selected.length,
    page,
    pages,
    newer: page > 1 ? href({ ...filters, page: page - 1 }) : null,
    older: page < pages ? href({ ...filters, page: page + 1 }) : null,
    types: [allOf(sum(typeCounts), view.type === undefined, { status: view.status }), ...types],
    statuses: [allOf(sum(statusCounts), view.status === undefined, { type: view.type }), ...statuses],
    filtered: view.type !== undefined || view.status !== undefined,
    showAll: href({}),
  };
}

const sum = (counts: Map<string, number>): number => [...counts.values()].reduce((a, b) => a + b, 0);
