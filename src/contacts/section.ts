import type { Connection, FilterQuery } from 'mongoose';
import { z } from 'zod';
import { connectionModel, syncedCustomFields } from '../db/models/connection';
import { loadFields } from '../db/field-maps';
import { customFieldsForCrm } from '../sync/custom-fields';
import { companyTimeZone } from '../time/company-zone';
import { billingSummary } from '../sync/billing-summary';
import {
  assertIsoDate,
  isLive,
  linksFromBothEnds,
  linksOf,
  transactionStatuses,
  transactionTypes,
  viewAsOf,
  type LiveTransactionStatus,
  type LiveTransactionView,
  type TransactionType,
} from '../sync/transactions';
import {
  customerKey,
  qboCustomerModel,
  qboTransactionModel,
  type QboTransactionRecord,
} from '../projections/models';
import { contactKey, contactModel, linkMethods, type ContactLink, type ContactRecord } from './model';

/**
 * A CRM contact's QuickBooks section: its customer link, billing profile and summary, and its "QuickBooks
 * Transactions" folder, read from the projections. The JSON API and the embeddable panel both serve this, and the
 * zod schemas below are the one description of its shape (the OpenAPI document is generated from them).
 */

// --- schemas ---

const isoDate = z.iso.date();
const amount = z.number().describe('In the currency named next to it, rounded to cents');

export const transactionTypeSchema = z.enum(transactionTypes);
export const liveTransactionStatusSchema = z.enum(transactionStatuses).exclude(['deleted']);

const namedRefSchema = z.object({ id: z.string(), name: z.string().nullable() });
const currencySchema = z.object({ code: z.string(), name: z.string().nullable() });

export const transactionItemSchema = z.object({
  type: transactionTypeSchema,
  qboId: z.string(),
  number: z.string().optional().describe('DocNumber, or PaymentRefNum for payments'),
  txnDate: isoDate,
  dueDate: isoDate.optional().describe('Invoices only'),
  expirationDate: isoDate.optional().describe('Estimates only'),
  currency: z.object({ code: z.string(), name: z.string().optional() }),
  exchangeRate: z.number().nullable().describe('Home units per unit of the transaction currency'),
  total: amount,
  balance: amount.describe(
    'Still open: owed (invoice), unapplied (payment) or remaining credit (credit memo)',
  ),
  homeTotal: z.number().nullable().describe('In the home currency; null when QBO gave no rate'),
  homeBalance: z.number().nullable(),
  status: liveTransactionStatusSchema.describe(
    'Judged as of the section’s `asOf`; each status is defined in docs/api.md, "Figures and statuses"',
  ),
  partiallyPaid: z
    .boolean()
    .optional()
    .describe('Invoices only: some of it is paid and some still owed, also when its status is `overdue`'),
  originalTotal: amount
    .optional()
    .describe('Voided only: the total before QuickBooks zeroed it, when the sync saw it before the void'),
  linked: z
    .array(z.object({ type: z.string(), id: z.string() }))
    .describe(
      'The transactions this one is related to, named by either side: a payment’s invoices and an invoice’s ' +
        'payments, an estimate’s invoice and an invoice’s estimate',
    ),
  qboLink: z.url().describe('Opens the transaction in the QuickBooks Online web app'),
  paymentLink: z
    .url()
    .optional()
    .describe('Invoices the customer may pay online: QuickBooks’ payment page (`InvoiceLink`)'),
});
export type TransactionItem = z.infer<typeof transactionItemSchema>;

const moneySummaryShape = {
  openBalance: amount.describe(
    'What the customer’s invoices still owe: the sum of their balances, never negative',
  ),
  overdueBalance: amount.describe(
    'The part of `openBalance` on invoices past their due date: never more than it',
  ),
  creditAvailable: amount.describe(
    'The customer’s money not yet applied to an invoice: credit memos’ remaining credit and payments’ unapplied amounts',
  ),
  netBalance: amount.describe(
    '`openBalance − creditAvailable`, as QuickBooks nets its Customer.Balance; negative when the customer is owed',
  ),
  lifetimeSales: amount.describe('Invoices and sales receipts, less credit memos and refunds'),
};

export const billingSummarySchema = z.object({
  currency: currencySchema,
  ...moneySummaryShape,
  lastPaymentDate: isoDate.nullable(),
  home: z
    .object({ currency: z.string(), ...moneySummaryShape })
    .nullable()
    .describe('The same figures in the home currency; null when a home amount is unknown'),
  oldestOverdueDays: z.number().int().nullable(),
  counts: z.record(z.enum(transactionStatuses), z.number().int()),
});

export const billingProfileSchema = z.object({
  terms: namedRefSchema.optional().describe('SalesTermRef'),
  paymentMethod: namedRefSchema.optional().describe('PaymentMethodRef'),
  deliveryPreference: z.enum(['Print', 'Email', 'None']).optional().describe('PreferredDeliveryMethod'),
  currency: currencySchema,
  balance: amount.describe("QBO's own Customer.Balance"),
  balanceWithJobs: amount,
  active: z.boolean(),
  parent: namedRefSchema.optional(),
  qboLink: z.url(),
});

export const customerLinkSchema = z.object({
  qboCustomerId: z.string(),
  displayName: z.string().nullable(),
  companyName: z.string().nullable(),
  qboLink: z.url().describe('Opens the customer in the QuickBooks Online web app'),
  active: z.boolean(),
  mergedInto: z.string().nullable().describe('The surviving customer when QBO merged this one away'),
  linkedBy: z.enum(linkMethods),
  syncedAt: z.iso.datetime().nullable().describe('When the contact last synced; null until its first sync'),
  customFields: z
    .record(z.string(), z.union([z.string(), z.number(), z.null()]))
    .describe('The custom fields the connection maps, as QuickBooks holds them, by CRM key'),
});

export const contactSectionSchema = z.object({
  connectionId: z.string(),
  crmContactId: z.string(),
  asOf: isoDate.describe('The company-local date that statuses and overdue figures are judged on'),
  timeZone: z
    .string()
    .describe(
      'The company’s IANA time zone, whose calendar `asOf` is: inferred from its address at connect (see the connection)',
    ),
  homeCurrency: z.string(),
  customer: customerLinkSchema,
  billingProfile: billingProfileSchema,
  billingSummary: billingSummarySchema,
  transactions: z.array(transactionItemSchema).describe('Newest first; deleted transactions are left out'),
});
export type ContactSection = z.infer<typeof contactSectionSchema>;

export const maxTransactionPageSize = 100;

export const transactionPageSchema = z.object({
  data: z.array(transactionItemSchema),
  nextCursor: z
    .string()
    .nullable()
    .describe('Pass back as `cursor` for the next page; null on the last page'),
});
export type TransactionPage = z.infer<typeof transactionPageSchema>;

// --- reads ---

/** The contact's link on this connection, unless the CRM deleted the contact (a tombstoned link). */
export async function liveContactLink(
  db: Connection,
  { connectionId, crmContactId }: { connectionId: string; crmContactId: string },
): Promise<ContactLink | null> {
  const contact = await contactModel(db)
    .findById(contactKey(connectionId, crmContactId), { link: 1 })
    .lean<Pick<ContactRecord, 'link'>>();
  return contact?.link && !contact.link.deletedAt ? contact.link : null;
}

/** Views with every relation either side names (`others` may name them too), so that each end shows the other. */
function withLinksFromBothEnds(
  views: LiveTransactionView[],
  others: readonly Pick<LiveTransactionView, 'type' | 'qboId' | 'linked'>[],
): TransactionItem[] {
  const index = linksFromBothEnds([...views, ...others]);
  return views.map((view) => ({ ...view, linked: linksOf(index, view) }));
}

/** The filter for a status as judged on `today`, matching `statusAsOf` rather than the stored status. */
function statusFilter(status: LiveTransactionStatus, today: string): FilterQuery<QboTransactionRecord> {
  const unset = (path: string) => ({ [path]: { $exists: false } });
  // Invoices with a balance: which of these statuses each has depends on the day.
  const owing = { 'view.status': { $in: ['open', 'partially_paid', 'overdue'] } };
  const notDueYet = { $or: [unset('view.dueDate'), { 'view.dueDate': { $gte: today } }] };
  // As `partiallyPaid` says, or for a view stored before it existed, its status.
  const partlyPaid = (yes: boolean) => ({
    $or: [
      { 'view.partiallyPaid': yes },
      { ...unset('view.partiallyPaid'), 'view.status': yes ? 'partially_paid' : { $ne: 'partially_paid' } },
    ],
  });
  switch (status) {
    case 'overdue':
      return { ...owing, 'view.dueDate': { $lt: today } };
    case 'open':
    case 'partially_paid':
      return { ...owing, $and: [notDueYet, partlyPaid(status === 'partially_paid')] };
    case 'expired':
      return { 'view.status': { $in: ['pending', 'expired'] }, 'view.expirationDate': { $lt: today } };
    case 'pending':
      return {
        'view.status': { $in: ['pending', 'expired'] },
        $or: [unset('view.expirationDate'), { 'view.expirationDate': { $gte: today } }],
      };
    default:
      return { 'view.status': status };
  }
}

// Newest first; the _id breaks ties so that the order, and with it the cursor, is total.
const newestFirst = { 'view.txnDate': -1, _id: -1 } as const;

export async function loadContactSection(
  db: Connection,
  { connectionId, crmContactId, today }: { connectionId: string; crmContactId: string; today: string },
): Promise<ContactSection | null> {
  assertIsoDate(today, 'today');
  const [connection, link] = await Promise.all([
    connectionModel(db)
      .findById(connectionId, { homeCurrency: 1, timeZone: 1, settings: 1, customFieldDefinitions: 1 })
      .lean(),
    liveContactLink(db, { connectionId, crmContactId }),
  ]);
  if (!connection || !link) return null;
  const [customer, records] = await Promise.all([
    qboCustomerModel(db).findById(customerKey(connectionId, link.qboCustomerId)).lean(),
    qboTransactionModel(db)
      .find({ connectionId, customerQboId: link.qboCustomerId }, { view: 1 })
      .sort(newestFirst)
      .lean(),
  ]);
  // A link is made from (or right after writing) the projected customer, so a missing one is a passing race.
  if (!customer) return null;
  // The same default as the projection's, so amounts and the summary agree on what "home" is.
  const homeCurrency = connection.homeCurrency ?? 'USD';
  const views = records.map((record) => record.view);
  const transactions = withLinksFromBothEnds(
    views.filter(isLive).map((view) => viewAsOf(view, today)),
    views.filter(isLive),
  );
  return {
    connectionId,
    crmContactId,
    asOf: today,
    timeZone: companyTimeZone(connection).name,
    homeCurrency,
    customer: {
      qboCustomerId: link.qboCustomerId,
      displayName: stringField(customer.fields.displayName),
      companyName: stringField(customer.fields.companyName),
      qboLink: customer.profile.qboLink,
      active: customer.active,
      mergedInto: customer.mergedInto ?? null,
      linkedBy: link.linkedBy,
      syncedAt: link.syncedAt ? new Date(link.syncedAt).toISOString() : null,
      customFields: customFieldsForCrm(loadFields(customer.fields), syncedCustomFields(connection)),
    },
    billingProfile: customer.profile,
    // Deleted views still count in `counts`; the summary skips them for money.
    billingSummary: billingSummary(customer.profile, views, { today, homeCurrency }),
    transactions,
  };
}

function stringField(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
  constructor() {
    super('cursor is not one this list handed out');
  }
}

const cursorSchema = z.tuple([isoDate, z.string().min(1)]);

function encodeCursor(record: { _id: string; view: { txnDate: string } }): string {
  return Buffer.from(JSON.stringify([record.view.txnDate, record._id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // Not JSON: reported below like any other foreign cursor.
  }
  throw new InvalidCursorError();
}

/**
 * One page of a customer's live transactions, newest first, optionally of one type and one status (as judged on
 * `today`). The cursor is a keyset position (txnDate, _id), so pages neither skip nor repeat records while
 * transactions are added.
 */
export async function listContactTransactions(
  db: Connection,
  query: {
    connectionId: string;
    qboCustomerId: string;
    today: string;
    type?: TransactionType;
    status?: LiveTransactionStatus;
    limit: number;
    cursor?: string;
  },
): Promise<TransactionPage> {
  const { connectionId, qboCustomerId, today, type, status, limit, cursor } = query;
  assertIsoDate(today, 'today');
  if (!Number.isInteger(limit) || limit < 1 || limit > maxTransactionPageSize)
    throw new RangeError(`limit must be an integer from 1 to ${maxTransactionPageSize}`);
  const clauses: FilterQuery<QboTransactionRecord>[] = [
    { connectionId, customerQboId: qboCustomerId },
    status === undefined ? { 'view.status': { $ne: 'deleted' } } : statusFilter(status, today),
  ];
  if (type !== undefined) clauses.push({ entity: type });
  if (cursor !== undefined) {
    const [txnDate, id] = decodeCursor(cursor);
    clauses.push({
      $or: [{ 'view.txnDate': { $lt: txnDate } }, { 'view.txnDate': txnDate, _id: { $lt: id } }],
    });
  }
  const records = await qboTransactionModel(db)
    .find({ $and: clauses }, { view: 1 })
    .sort(newestFirst)
    .limit(limit + 1)
    .lean();
  const page = records.slice(0, limit) as (QboTransactionRecord & { view: LiveTransactionView })[];
  const last = page.at(-1);
  // The page's relations named only on the other side: the transactions of the customer that name one of these.
  const naming = await qboTransactionModel(db)
    .find(
      {
        connectionId,
        customerQboId: qboCustomerId,
        'view.status': { $ne: 'deleted' },
        'view.linked.id': { $in: page.map((record) => record.view.qboId) },
      },
      { 'view.type': 1, 'view.qboId': 1, 'view.linked': 1 },
    )
    .lean<{ view: Pick<LiveTransactionView, 'type' | 'qboId' | 'linked'> }[]>();
  return {
    data: withLinksFromBothEnds(
      page.map((record) => viewAsOf(record.view, today)),
      naming.map((record) => record.view),
    ),
    nextCursor: records.length > limit && last !== undefined ? encodeCursor(last) : null,
  };
}
