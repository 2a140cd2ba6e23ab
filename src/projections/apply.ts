import type { Connection } from 'mongoose';
import { billingProfile, customerToFields, type QboCustomer } from '../sync/customer-mapping';
import {
  deletedView,
  transactionTypes,
  transactionView,
  type Environment,
  type LiveTransactionView,
  type QboTransactionRecord as QboTransactionJson,
  type TransactionType,
} from '../sync/transactions';
import { customerKey, qboCustomerModel, qboTransactionModel, storeFields, transactionKey } from './models';

export interface ProjectionContext {
  db: Connection;
  connectionId: string;
  environment: Environment;
  homeCurrency: string;
  /** Company-local date, for statuses such as overdue. */
  today: string;
  now: Date;
}

export type ApplyOutcome = 'applied' | 'unchanged' | 'stale';

export function isTransactionType(entity: string): entity is TransactionType {
  return (transactionTypes as readonly string[]).includes(entity);
}

function syncTokenOf(record: { SyncToken?: unknown }): number {
  const token = Number(record.SyncToken);
  return Number.isFinite(token) ? token : 0;
}

/**
 * Stores a customer as QBO reports it, unless we already hold a newer version. One connection's changes are applied
 * by one workflow at a time, so the read-compare-write is not racing another writer.
 */
export async function applyCustomer(
  context: ProjectionContext,
  customer: QboCustomer & { Id: string },
): Promise<ApplyOutcome> {
  const customers = qboCustomerModel(context.db);
  const _id = customerKey(context.connectionId, customer.Id);
  const syncToken = syncTokenOf(customer);
  const existing = await customers.findById(_id, { syncToken: 1 }).lean();
  if (existing && existing.syncToken > syncToken) return 'stale';
  if (existing && existing.syncToken === syncToken) return 'unchanged';
  await customers.updateOne(
    { _id },
    {
      $set: {
        connectionId: context.connectionId,
        qboId: customer.Id,
        syncToken,
        lastUpdatedTime: customer.MetaData?.LastUpdatedTime ?? context.now.toISOString(),
        active: customer.Active !== false,
        fields: storeFields(customerToFields(customer)),
        profile: billingProfile(customer, {
          environment: context.environment,
          homeCurrency: context.homeCurrency,
        }),
        appliedAt: context.now,
      },
    },
    { upsert: true },
  );
  return 'applied';
}

export async function applyTransaction(
  context: ProjectionContext,
  entity: TransactionType,
  record: QboTransactionJson & { SyncToken?: string },
): Promise<ApplyOutcome> {
  const transactions = qboTransactionModel(context.db);
  const _id = transactionKey(context.connectionId, entity, record.Id);
  const syncToken = syncTokenOf(record);
  const existing = await transactions.findById(_id, { syncToken: 1, 'view.status': 1 }).lean();
  if (existing && (existing.view as { status?: string }).status === 'deleted') return 'stale';
  if (existing && existing.syncToken > syncToken) return 'stale';
  if (existing && existing.syncToken === syncToken) return 'unchanged';
  const view = transactionView(entity, record, {
    today: context.today,
    homeCurrency: context.homeCurrency,
    environment: context.environment,
  });
  await transactions.updateOne(
    { _id },
    {
      $set: {
        connectionId: context.connectionId,
        entity,
        qboId: record.Id,
        customerQboId: record.CustomerRef?.value,
        syncToken,
        view,
        appliedAt: context.now,
      },
    },
    { upsert: true },
  );
  return 'applied';
}

/** A hard-deleted transaction becomes a tombstone that keeps its last known view and never comes back to life. */
export async function applyTransactionDeleted(
  context: ProjectionContext,
  entity: TransactionType,
  qboId: string,
  deletedAt: string,
): Promise<ApplyOutcome> {
  const transactions = qboTransactionModel(context.db);
  const _id = transactionKey(context.connectionId, entity, qboId);
  const existing = await transactions.findById(_id).lean();
  if (existing && (existing.view as { status?: string }).status === 'deleted') return 'unchanged';
  const last =
    existing && (existing.view as { status?: string }).status !== 'deleted' ? existing.view : undefined;
  await transactions.updateOne(
    { _id },
    {
      $set: {
        connectionId: context.connectionId,
        entity,
        qboId,
        customerQboId: existing?.customerQboId,
        syncToken: Number.MAX_SAFE_INTEGER,
        view: deletedView(entity, qboId, deletedAt, last as LiveTransactionView | undefined),
        appliedAt: context.now,
      },
    },
    { upsert: true },
  );
  return 'applied';
}
