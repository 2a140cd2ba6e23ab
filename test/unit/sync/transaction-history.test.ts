import { backfillFilter } from '../../../src/activities/backfill';
import { historyStart } from '../../../src/sync/transaction-history';

describe('historyStart', () => {
  it('is null for everything', () => {
    expect(historyStart('all', '2026-12-07')).toBeNull();
  });

  it('counts whole months back from the company’s today, across years', () => {
    expect(historyStart({ months: 24 }, '2026-12-07')).toBe('2024-12-07');
    expect(historyStart({ months: 1 }, '2026-01-15')).toBe('2025-12-15');
    expect(historyStart({ months: 13 }, '2026-01-01')).toBe('2024-12-01');
  });

  it('falls to the last day of a shorter month', () => {
    expect(historyStart({ months: 1 }, '2026-03-31')).toBe('2026-02-28');
    expect(historyStart({ months: 24 }, '2026-02-29')).toBe('2024-02-29');
    expect(historyStart({ months: 12 }, '2024-02-29')).toBe('2023-02-28');
  });
});

describe('backfillFilter', () => {
  it('reads transactions from the window’s first day, and customers and items inactive or not', () => {
    expect(backfillFilter('Invoice', '2024-12-07')).toBe(" where TxnDate >= '2024-12-07'");
    expect(backfillFilter('Payment', undefined)).toBe('');
    expect(backfillFilter('Customer', '2024-12-07')).toBe(' where Active in (true, false)');
    expect(backfillFilter('Item', undefined)).toBe(' where Active in (true, false)');
  });
});
