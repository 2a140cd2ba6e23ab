import { isDuplicateKey } from '../db/errors';
import type { Connection as MongoConnection } from 'mongoose';
import { connectionModel, type ConnectionRecord } from '../db/models/connection';
import { linkedContactIds } from '../contacts/store';
import {
  customerKey,
  qboCustomerModel,
  qboTransactionModel,
  transactionKey,
  type QboCustomerRecord,
} from '../projections/models';
import { isLive, type LiveTransactionView, type TransactionView } from '../sync/transactions';
import { companyTimeZone } from '../time/company-zone';
import { formatQboDate } from '../time/zoned-time';
import {
  followUpModel,
  followUpPolicyModel,
  type FollowUpDocument,
  type FollowUpHistoryEntry,
  type FollowUpRecord,
} from './models';
import { followUpPolicySchema, policyForCompany, type FollowUpPolicy } from './policy';
import { addDays, cancelReason, dueFollowUp, followUpId, type DueFollowUp } from './stages';

/**
 * The follow-up engine over MongoDB: plan what is due (each follow-up claimed by inserting its dedupe key) and
 * cancel what a payment, void or delete made moot; `delivery.ts` sends what is pending. Every step is idempotent,
 * so an activity retried or a whole run repeated converges and sends nothing twice.
 */
export interface FollowUpRun {
  db: MongoConnection;
  connectionId: string;
  /** The instant the run judges by: the schedule's start time, or one a test or backfill injects. */
  asOf: Date;
  /** The clock for timestamps. */
  now: () => Date;
}

/** Documents read per page while planning and cancelling. */
const pageSize = 500;

/** The connection's policy (the defaults until one is set), in the company's zone unless it names another. */
export async function loadPolicy(db: MongoConnection, connectionId: string): Promise<FollowUpPolicy> {
  const [stored, connection] = await Promise.all([
    followUpPolicyModel(db).findById(connectionId).lean(),
    connectionModel(db).findById(connectionId, { timeZone: 1 }).lean(),
  ]);
  // Parsed again so that a policy stored before a field existed gets that field's default.
  const settings = followUpPolicySchema.parse(stored?.policy ?? {});
  return policyForCompany(settings, companyTimeZone(connection ?? {}).name);
}

/** The company-local calendar day of an instant. */
export function companyDay(at: Date, policy: Pick<FollowUpPolicy, 'timeZone'>): string {
  return formatQboDate(at, policy.timeZone);
}

export async function activeConnection(
  db: MongoConnection,
  connectionId: string,
): Promise<ConnectionRecord | null> {
  const connection = await connectionModel(db).findById(connectionId).lean();
  return connection && connection.status !== 'disconnected' ? connection : null;
}

export function documentOf(view: LiveTransactionView): FollowUpDocument {
  return {
    type: view.type,
    qboId: view.qboId,
    ...(view.number !== undefined && { number: view.number }),
    txnDate: view.txnDate,
    ...(view.dueDate !== undefined && { dueDate: view.dueDate }),
    ...(view.expirationDate !== undefined && { expirationDate: view.expirationDate }),
    currency: view.currency.code,
    total: view.total,
    balance: view.balance,
    status: view.status,
    qboLink: view.qboLink,
    ...(view.paymentLink !== undefined && { paymentLink: view.paymentLink }),
  };
}

export function dueFields(due: DueFollowUp): Pick<FollowUpRecord, 'daysOverdue' | 'daysToExpiry'> {
  return {
    ...(due.daysOverdue !== undefined && { daysOverdue: due.daysOverdue }),
    ...(due.daysToExpiry !== undefined && { daysToExpiry: due.daysToExpiry }),
  };
}

export interface Customer {
  name?: string;
  email?: string;
  crmContactId?: string;
}

/** Names, emails and linked CRM contacts of the given QBO customers. */
export async function customersOf(
  db: MongoConnection,
  connectionId: string,
  qboCustomerIds: string[],
): Promise<Map<string, Customer>> {
  const ids = [...new Set(qboCustomerIds)];
  const [customers, contacts] = await Promise.all([
    qboCustomerModel(db)
      .find({ _id: { $in: ids.map((id) => customerKey(connectionId, id)) } }, { qboId: 1, fields: 1 })
      .lean<Pick<QboCustomerRecord, 'qboId' | 'fields'>[]>(),
    linkedContactIds(db, connectionId, ids),
  ]);
  const found = new Map<string, Customer>();
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  for (const customer of customers) {
    const name = text(customer.fields.displayName) ?? text(customer.fields.companyName);
    const email = text(customer.fields.email);
    found.set(customer.qboId, { ...(name && { name }), ...(email && { email }) });
  }
  for (const [qboCustomerId, crmContactId] of contacts) {
    found.set(qboCustomerId, { ...found.get(qboCustomerId), crmContactId });
  }
  return found;
}

// --- planning ---

/** Finds what is due on the run's day and stores each as a pending follow-up; an existing dedupe key is left be. */
export async function planFollowUps(run: FollowUpRun): Promise<{ created: number; accountId?: string }> {
  const { db, connectionId } = run;
  const connection = await activeConnection(db, connectionId);
  if (!connection) return { created: 0 };
  const policy = await loadPolicy(db, connectionId);
  if (!policy.enabled) return { created: 0, accountId: connection.accountId };
  const today = companyDay(run.asOf, policy);
  // Stored statuses were judged on the day each record was applied, so the filter goes by amounts and dates.
  const filter = {
    connectionId,
    $or: [
      {
        entity: 'Invoice',
        'view.status': { $nin: ['deleted', 'voided', 'paid'] },
        'view.dueDate': { $lt: today },
      },
      { entity: 'Estimate', 'view.status': { $in: ['pending', 'accepted'] } },
      {
        entity: 'Payment',
        'view.status': { $nin: ['deleted', 'voided'] },
        'view.txnDate': { $gte: addDays(today, -policy.paymentReceived.withinDays) },
      },
    ],
  };
  const transactions = qboTransactionModel(db);
  const followUps = followUpModel(db);
  let created = 0;
  let after: string | undefined;
  for (;;) {
    const page = await transactions
      .find({ ...filter, ...(after !== undefined && { _id: { $gt: after } }) })
      .sort({ _id: 1 })
      .limit(pageSize)
      .lean();
    if (page.length === 0) break;
    after = page[page.length - 1]!._id;

    const due: { view: LiveTransactionView; followUp: DueFollowUp; customerId?: string }[] = [];
    for (const { view, customerQboId } of page) {
      if (!isLive(view)) continue;
      const followUp = dueFollowUp(view, policy, today);
      if (followUp)
        due.push({ view, followUp, ...(customerQboId !== undefined && { customerId: customerQboId }) });
    }
    if (due.length === 0) continue;
    const idOf = (item: (typeof due)[number]): string =>
      followUpId({
        connectionId,
        entity: item.view.type,
        qboId: item.view.qboId,
        stage: item.followUp.stage,
      });
    const existing = new Set(
      (await followUps.find({ _id: { $in: due.map(idOf) } }, { _id: 1 }).lean()).map((doc) => doc._id),
    );
    const fresh = due.filter((item) => !existing.has(idOf(item)));
    if (fresh.length === 0) continue;
    const customers = await customersOf(
      db,
      connectionId,
      fresh.flatMap((item) => (item.customerId === undefined ? [] : [item.customerId])),
    );
    const at = run.now();
    const records: FollowUpRecord[] = fresh.map((item) => {
      const customer = item.customerId === undefined ? undefined : customers.get(item.customerId);
      return {
        _id: idOf(item),
        accountId: connection.accountId,
        connectionId,
        kind: item.followUp.kind,
        stage: item.followUp.stage,
        entity: item.view.type,
        qboId: item.view.qboId,
        ...(item.customerId !== undefined && { qboCustomerId: item.customerId }),
        ...(customer?.crmContactId !== undefined && { crmContactId: customer.crmContactId }),
        ...(customer?.name !== undefined && { customerName: customer.name }),
        document: documentOf(item.view),
        ...dueFields(item.followUp),
        dueOn: today,
        status: 'pending',
        channels: {},
        history: [{ at, action: 'planned' }],
        createdAt: at,
        updatedAt: at,
      };
    });
    created += await insertNew(db, records);
  }
  return { created, accountId: connection.accountId };
}

/** Inserts the follow-ups; a concurrent run that stored some of them first wins those. Returns how many landed. */
async function insertNew(db: MongoConnection, records: FollowUpRecord[]): Promise<number> {
  try {
    await followUpModel(db).collection.insertMany(records as never[], { ordered: false });
    return records.length;
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const raw = (error as { writeErrors?: unknown }).writeErrors ?? [];
    return records.length - (Array.isArray(raw) ? raw.length : 1);
  }
}

// --- cancelling ---

export async function cancel(
  db: MongoConnection,
  followUp: Pick<FollowUpRecord, '_id'>,
  reason: string,
  at: Date,
): Promise<boolean> {
  const entry: FollowUpHistoryEntry = { at, action: 'cancelled', detail: reason };
  const result = await followUpModel(db).updateOne(
    { _id: followUp._id, status: 'pending' },
    {
      $set: { status: 'cancelled', statusReason: reason, cancelledAt: at, updatedAt: at },
      $push: { history: entry },
    },
  );
  return result.modifiedCount === 1;
}

/** The current views of the follow-ups' documents, by follow-up id (absent: the document is gone). */
export async function viewsOf(
  db: MongoConnection,
  followUps: Pick<FollowUpRecord, '_id' | 'connectionId' | 'entity' | 'qboId'>[],
): Promise<Map<string, { view: TransactionView; customerQboId?: string }>> {
  const keys = followUps.map((followUp) =>
    transactionKey(followUp.connectionId, followUp.entity, followUp.qboId),
  );
  const records = await qboTransactionModel(db)
    .find({ _id: { $in: keys } }, { view: 1, customerQboId: 1 })
    .lean();
  const byKey = new Map(records.map((record) => [record._id, record]));
  const found = new Map<string, { view: TransactionView; customerQboId?: string }>();
  for (const followUp of followUps) {
    const record = byKey.get(transactionKey(followUp.connectionId, followUp.entity, followUp.qboId));
    if (record)
      found.set(followUp._id, {
        view: record.view,
        ...(record.customerQboId !== undefined && { customerQboId: record.customerQboId }),
      });
  }
  return found;
}

/**
 * Cancels pending follow-ups whose document was paid, voided or deleted, or whose stage is no longer the one due.
 * The sync engine may call it after applying changes (`qboIds` narrows it to those documents); each reminders run
 * calls it for the whole connection.
 */
export async function cancelSettledFollowUps(
  run: FollowUpRun,
  qboIds?: readonly string[],
): Promise<{ cancelled: number }> {
  const { db, connectionId } = run;
  const policy = await loadPolicy(db, connectionId);
  const today = companyDay(run.asOf, policy);
  let cancelled = 0;
  let after: string | undefined;
  for (;;) {
    const page = await followUpModel(db)
      .find({
        connectionId,
        status: 'pending',
        ...(qboIds !== undefined && { qboId: { $in: [...qboIds] } }),
        ...(after !== undefined && { _id: { $gt: after } }),
      })
      .sort({ _id: 1 })
      .limit(pageSize)
      .lean();
    if (page.length === 0) break;
    after = page[page.length - 1]!._id;
    const views = await viewsOf(db, page);
    for (const followUp of page) {
      const reason = cancelReason(views.get(followUp._id)?.view ?? null, followUp.stage, policy, today);
      if (reason !== null && (await cancel(db, followUp, reason, run.now()))) cancelled += 1;
    }
  }
  return { cancelled };
}

/** Cancels every pending follow-up of a connection, e.g. when it is disconnected. */
export async function cancelAllPending(
  db: MongoConnection,
  connectionId: string,
  reason: string,
  at: Date,
): Promise<number> {
  const entry: FollowUpHistoryEntry = { at, action: 'cancelled', detail: reason };
  const result = await followUpModel(db).updateMany(
    { connectionId, status: 'pending' },
    {
      $set: { status: 'cancelled', statusReason: reason, cancelledAt: at, updatedAt: at },
      $push: { history: entry },
    },
  );
  return result.modifiedCount;
}
