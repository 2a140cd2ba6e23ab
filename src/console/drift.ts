import { driftKinds, type DriftKind, type TransactionDriftKind } from '../audit/drift';

/**
 * The drift audit in words and figures, for the connection's page: the rate as a percentage, what each kind of
 * finding means, and the rate over time as the chart plots it.
 */

export const driftKindWords: Record<DriftKind, { one: string; many: string }> = {
  projection_behind: { one: 'copy behind QuickBooks', many: 'copies behind QuickBooks' },
  contact_differs: { one: 'contact differing from QuickBooks', many: 'contacts differing from QuickBooks' },
  link_to_inactive: { one: 'link to an inactive customer', many: 'links to inactive customers' },
  link_to_missing: {
    one: 'link to a customer QuickBooks no longer has',
    many: 'links to customers QuickBooks no longer has',
  },
};

export function counted(count: number, words: { one: string; many: string }): string {
  return `${count} ${count === 1 ? words.one : words.many}`;
}

/** A rate (0–1) as a percentage with one decimal; a rate too small to show as 0.1 % is not shown as 0. */
export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—';
  const value = rate * 100;
  if (value > 0 && value < 0.05) return '< 0.1 %';
  return `${Number(value.toFixed(1))} %`;
}

/** Every kind, in the audit's order, with its count (a kind the audit left out counts 0). */
export function byKindInWords(byKind: Partial<Record<DriftKind, number>>): string {
  return driftKinds.map((kind) => counted(byKind[kind] ?? 0, driftKindWords[kind])).join(', ');
}

/** The transactions part of an audit (QuickBooks' invoices, payments, … against our copy); older audits have none. */
export interface TransactionDrift {
  read: number;
  missing: number;
  behind: number;
  deleted: number;
  healed: number;
}

export function transactionsInWords(counts: TransactionDrift): string {
  return (
    `${counts.read} read: ${counts.missing} missing from our copy, ${counts.behind} behind QuickBooks, ` +
    `${counts.deleted} deleted in QuickBooks but still in our copy; ${counts.healed} healed`
  );
}

export const transactionDriftWords: Record<TransactionDriftKind, string> = {
  transaction_missing: 'missing from our copy',
  transaction_behind: 'behind QuickBooks',
  transaction_deleted: 'deleted in QuickBooks',
};

export function transactionSampleRow(sample: {
  kind: TransactionDriftKind;
  entity: string;
  qboId: string;
  healed: boolean;
}): { transaction: string; found: string; outcome: string } {
  return {
    transaction: `${sample.entity} ${sample.qboId}`,
    found: transactionDriftWords[sample.kind],
    outcome: sample.healed ? 'Healed' : 'Left for a person',
  };
}

export interface AuditHistoryEntry {
  finishedAt: string;
  compared: number;
  drifted: number;
  healed: number;
  rate: number;
}

export interface DriftRateSeries {
  /** Each completed audit's end, in Unix seconds (what uPlot plots). */
  times: number[];
  /** Its drift rate, in percent. */
  percent: number[];
}

/** The history (oldest first, as the API gives it) as points. */
export function driftRateSeries(history: readonly AuditHistoryEntry[]): DriftRateSeries {
  return {
    times: history.map((entry) => new Date(entry.finishedAt).getTime() / 1000),
    percent: history.map((entry) => entry.rate * 100),
  };
}
