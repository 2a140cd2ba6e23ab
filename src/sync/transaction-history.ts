/**
 * How far back a connection's backfill reads transactions: everything, or the last N months by `TxnDate`. Only the
 * backfill honours it; a change CDC brings to an older document is still applied.
 */
export type TransactionHistory = 'all' | { months: number };

/** Everything, as every backfill read before the setting existed: a CRM opts into a shorter window. */
export const defaultTransactionHistory: TransactionHistory = 'all';

/** The longest window worth naming: beyond it, ask for everything. */
export const maxTransactionHistoryMonths = 240;

/**
 * The first `TxnDate` (YYYY-MM-DD) a window imports, counted back from the company's today; null for everything.
 * A day the earlier month lacks (31 March less one month) falls to that month's last day.
 */
export function historyStart(history: TransactionHistory, today: string): string | null {
  if (history === 'all') return null;
  const [year, month, day] = today.split('-').map(Number) as [number, number, number];
  const months = year * 12 + (month - 1) - history.months;
  const startYear = Math.floor(months / 12);
  const startMonth = (months % 12) + 1;
  const lastDay = new Date(Date.UTC(startYear, startMonth, 0)).getUTCDate();
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  return `${pad(startYear, 4)}-${pad(startMonth, 2)}-${pad(Math.min(day, lastDay), 2)}`;
}
