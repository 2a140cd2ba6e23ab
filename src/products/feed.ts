import type { Connection as MongoConnection } from 'mongoose';
import { qboItemModel } from '../projections/models';
import { storedProductView, type ProductView } from './view';

/**
 * The products feed: items changed in QBO after `changedSince`, oldest change first, paged by (change time, id) so
 * a page never repeats or skips an item. After `backfill_completed`, read from the connection's start for the
 * whole catalogue; afterwards it is the backstop for missed `product.*` webhooks.
 */
export async function productFeed(
  db: MongoConnection,
  connectionIds: readonly string[],
  changedSince: Date,
  after: { at: string; id: string } | undefined,
  limit: number,
): Promise<(ProductView & { position: { at: string; id: string } })[]> {
  const range = after
    ? {
        $or: [
          { qboChangedAt: { $gt: new Date(after.at) } },
          { qboChangedAt: new Date(after.at), _id: { $gt: after.id } },
        ],
      }
    : {};
  const items = await qboItemModel(db)
    .find({ connectionId: { $in: [...connectionIds] }, qboChangedAt: { $gt: changedSince }, ...range })
    .sort({ qboChangedAt: 1, _id: 1 })
    .limit(limit)
    .lean();
  return items.map((item) => ({
    ...storedProductView(item),
    position: { at: item.qboChangedAt!.toISOString(), id: item._id },
  }));
}
