import { isObject } from './fields';
import type { Draft, Knock } from './types';

/** Which way a sales form moves stock: sales take it out, credits and refunds bring it back, estimates don't. */
const stockDirection: Record<string, number> = {
  Invoice: -1,
  SalesReceipt: -1,
  CreditMemo: 1,
  RefundReceipt: 1,
};

/** Quantities per item on a form's lines (only lines with a Qty count). */
function quantities(record: Draft | undefined): Map<string, number> {
  const totals = new Map<string, number>();
  for (const line of record && Array.isArray(record.Line) ? (record.Line as unknown[]) : []) {
    const detail =
      isObject(line) && isObject(line.SalesItemLineDetail) ? line.SalesItemLineDetail : undefined;
    if (!detail || !isObject(detail.ItemRef) || typeof detail.Qty !== 'number') continue;
    const itemId = String(detail.ItemRef.value);
    totals.set(itemId, (totals.get(itemId) ?? 0) + detail.Qty);
  }
  return totals;
}

/**
 * "As inventory items are sold, QuickBooks reduces the quantity on hand": a sale of an item that tracks quantity
 * lowers its `QtyOnHand` by the line's Qty, and editing, voiding or deleting the sale moves it back. Kept as
 * bookkeeping (the item's SyncToken does not move), which is inferred.
 */
export function inventoryKnocks(
  kind: string,
  before: Draft | undefined,
  after: Draft | undefined,
  tracksQuantity: (itemId: string) => boolean,
): Knock[] {
  const direction = stockDirection[kind];
  if (!direction) return [];
  const [was, now] = [quantities(before), quantities(after)];
  const knocks: Knock[] = [];
  for (const itemId of new Set([...was.keys(), ...now.keys()])) {
    const change = direction * ((now.get(itemId) ?? 0) - (was.get(itemId) ?? 0));
    if (change === 0 || !tracksQuantity(itemId)) continue;
    knocks.push({
      entity: 'Item',
      id: itemId,
      touch: false,
      apply: (item) => ({
        ...item,
        QtyOnHand: Math.round((Number(item.QtyOnHand ?? 0) + change) * 1e6) / 1e6,
      }),
    });
  }
  return knocks;
}
