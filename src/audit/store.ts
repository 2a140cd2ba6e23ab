import { Schema, type Connection, type Model } from 'mongoose';
import type { DriftKind, FieldDrift, TransactionDriftKind } from './drift';

/**
 * The latest drift audit of each connection (one document per connection, `_id` = its id): running, or what it
 * found and healed. The audit writes it; `GET /v1/connections/{id}/audit` reads it.
 */
export interface AuditCounts {
  /** Customers QBO returned (active and inactive). */
  customers: number;
  /** Linked contacts compared with their customer (settled ones; those with a change in flight are not). */
  compared: number;
  /** Linked contacts skipped because a change of theirs was still on its way. */
  inFlight: number;
  /** Customers or links where something disagreed with QBO, and how many fields. */
  drifted: number;
  driftedFields: number;
  /** Of those, how many agree with QBO after the audit applied QBO's versions through the sync. */
  healed: number;
  byKind: Record<DriftKind, number>;
  /** Active customers no contact is linked to. */
  unlinkedCustomers: number;
  /** Requests made to QBO: query pages, and a read of each transaction QBO stopped listing. */
  qboRequests: number;
  /** The transactions (within the connection's history window) compared with our copy. */
  transactions: TransactionAuditCounts;
}

export interface TransactionAuditCounts {
  /** Transactions QBO listed. */
  read: number;
  missing: number;
  behind: number;
  deleted: number;
  /** Of the three, how many our copy agrees on after the audit applied QBO's versions. */
  healed: number;
}

/** Which count of `TransactionAuditCounts` each finding adds to. */
export const transactionCountOf = {
  transaction_missing: 'missing',
  transaction_behind: 'behind',
  transaction_deleted: 'deleted',
} as const satisfies Record<TransactionDriftKind, keyof TransactionAuditCounts>;

export interface TransactionAuditSample {
  kind: TransactionDriftKind;
  entity: string;
  qboId: string;
  customerQboId: string | null;
  healed: boolean;
}

export interface AuditSample {
  /** What disagreed: a drifted customer can be behind in our copy and differ in the CRM at once. */
  kinds: DriftKind[];
  qboCustomerId: string;
  crmContactId: string | null;
  fields: FieldDrift[];
  healed: boolean;
  /** For a link to a missing customer: the customer it was merged into, when we know. */
  mergedInto?: string;
}

export interface DriftAuditRecord {
  _id: string;
  status: 'running' | 'completed' | 'failed';
  startedAt: Date;
  finishedAt?: Date;
  counts?: AuditCounts;
  /** Drifted links per compared link. */
  rate?: number;
  samples?: AuditSample[];
  unlinkedSamples?: string[];
  transactionSamples?: TransactionAuditSample[];
  error?: string;
  /** The completed audits before this one and this one, oldest first: the drift rate over time. */
  history?: AuditHistoryEntry[];
}

export interface AuditHistoryEntry {
  finishedAt: Date;
  compared: number;
  drifted: number;
  healed: number;
  rate: number;
}

/** Completed audits kept per connection: three months of daily ones. */
const historyLength = 90;

const auditSchema = new Schema<DriftAuditRecord>(
  {
    _id: { type: String, required: true },
    status: { type: String, enum: ['running', 'completed', 'failed'], required: true },
    startedAt: { type: Date, required: true },
    finishedAt: Date,
    counts: Schema.Types.Mixed,
    rate: Number,
    samples: Schema.Types.Mixed,
    unlinkedSamples: [String],
    transactionSamples: Schema.Types.Mixed,
    error: String,
    history: Schema.Types.Mixed,
  },
  { collection: 'drift_audits', versionKey: false, minimize: false },
);

export function driftAuditModel(db: Connection): Model<DriftAuditRecord> {
  return (db.models.DriftAudit as Model<DriftAuditRecord> | undefined) ?? db.model('DriftAudit', auditSchema);
}

/** The audit is under way: whatever the last one found is replaced when it finishes. */
export async function markAuditRunning(db: Connection, connectionId: string, at: Date): Promise<void> {
  await driftAuditModel(db).updateOne(
    { _id: connectionId },
    {
      $set: { status: 'running', startedAt: at },
      $unset: {
        finishedAt: 1,
        error: 1,
        counts: 1,
        rate: 1,
        samples: 1,
        unlinkedSamples: 1,
        transactionSamples: 1,
      },
    },
    { upsert: true },
  );
}

export async function recordAuditResult(
  db: Connection,
  connectionId: string,
  result: Pick<DriftAuditRecord, 'counts' | 'rate' | 'samples' | 'unlinkedSamples' | 'transactionSamples'>,
  at: Date,
): Promise<void> {
  const entry: AuditHistoryEntry = {
    finishedAt: at,
    compared: result.counts?.compared ?? 0,
    drifted: result.counts?.drifted ?? 0,
    healed: result.counts?.healed ?? 0,
    rate: result.rate ?? 0,
  };
  await driftAuditModel(db).updateOne(
    { _id: connectionId },
    {
      $set: { status: 'completed', finishedAt: at, ...result },
      $push: { history: { $each: [entry], $slice: -historyLength } },
    },
  );
}

export async function recordAuditFailure(
  db: Connection,
  connectionId: string,
  error: string,
  at: Date,
): Promise<void> {
  await driftAuditModel(db).updateOne(
    { _id: connectionId },
    { $set: { status: 'failed', finishedAt: at, error } },
  );
}

export async function readAudit(db: Connection, connectionId: string): Promise<DriftAuditRecord | null> {
  return driftAuditModel(db).findById(connectionId).lean<DriftAuditRecord>();
}
