import { driftKinds, type DriftKind } from './drift';
import {
  transactionCountOf,
  type AuditCounts,
  type AuditSample,
  type DriftAuditRecord,
  type TransactionAuditSample,
} from './store';

/** Findings kept as samples, and unlinked customers named, per audit. */
const maxSamples = 25;

/** What one audit has found so far: its counts and the first findings of each kind as samples. */
export class AuditTally {
  readonly counts: AuditCounts = {
    customers: 0,
    compared: 0,
    inFlight: 0,
    drifted: 0,
    driftedFields: 0,
    healed: 0,
    byKind: Object.fromEntries(driftKinds.map((kind) => [kind, 0])) as Record<DriftKind, number>,
    unlinkedCustomers: 0,
    qboRequests: 0,
    transactions: { read: 0, missing: 0, behind: 0, deleted: 0, healed: 0 },
  };
  readonly samples: AuditSample[] = [];
  readonly unlinked: string[] = [];
  readonly transactionSamples: TransactionAuditSample[] = [];
  /** The customers QBO listed. */
  readonly seen = new Set<string>();

  add(sample: AuditSample): void {
    this.counts.drifted += 1;
    this.counts.driftedFields += sample.fields.length;
    if (sample.healed) this.counts.healed += 1;
    for (const kind of sample.kinds) this.counts.byKind[kind] += 1;
    if (this.samples.length < maxSamples) this.samples.push(sample);
  }

  addUnlinked(qboCustomerId: string): void {
    this.counts.unlinkedCustomers += 1;
    if (this.unlinked.length < maxSamples) this.unlinked.push(qboCustomerId);
  }

  addTransaction(sample: TransactionAuditSample): void {
    const counts = this.counts.transactions;
    counts[transactionCountOf[sample.kind]] += 1;
    if (sample.healed) counts.healed += 1;
    if (this.transactionSamples.length < maxSamples) this.transactionSamples.push(sample);
  }

  result(): Pick<DriftAuditRecord, 'counts' | 'rate' | 'samples' | 'unlinkedSamples' | 'transactionSamples'> {
    const { compared, drifted } = this.counts;
    return {
      counts: this.counts,
      rate: compared === 0 ? 0 : drifted / compared,
      samples: this.samples,
      unlinkedSamples: this.unlinked,
      transactionSamples: this.transactionSamples,
    };
  }
}
