import { announce, type EngineContext } from '../contacts/engine';
import type { EventDraft } from '../outbound/events';
import type { QboItem } from '../sync/product-mapping';
import { itemProductView } from './view';

/**
 * A product changed in QBO becomes `product.created` (new to us) or `product.updated` for the CRM, one event per
 * version of the item: a replayed page or a retried activity records nothing new.
 */
export function productEvent(context: EngineContext, item: QboItem, created: boolean): EventDraft {
  return {
    accountId: context.connection.accountId,
    connectionId: context.connection._id,
    type: created ? 'product.created' : 'product.updated',
    dedupeKey: `Item:${item.Id}:${item.SyncToken ?? ''}`,
    data: { product: itemProductView(context.connection._id, item, context.now) },
  };
}

export async function announceProducts(
  context: EngineContext,
  changed: readonly { record: QboItem; created: boolean }[],
): Promise<number> {
  return announce(
    context,
    changed.map(({ record, created }) => productEvent(context, record, created)),
  );
}
