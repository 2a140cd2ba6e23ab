import type { Connection as MongoConnection } from 'mongoose';
import { connectionModel } from '../db/models/connection';

export interface ConnectionLabels {
  realmId?: string;
  accountId?: string;
}

/** Far more connections than one worker serves; past it the cache starts again. */
const maxCached = 10_000;

/**
 * The realm and account of a connection, for log lines: they never change, so each is read once per process. A
 * failed read labels nothing and is tried again next time; the activity itself reports the database's state.
 */
export function connectionLabels(db: MongoConnection): (connectionId: string) => Promise<ConnectionLabels> {
  const cache = new Map<string, ConnectionLabels>();
  return async (connectionId) => {
    const cached = cache.get(connectionId);
    if (cached) return cached;
    try {
      const found = await connectionModel(db).findById(connectionId, { realmId: 1, accountId: 1 }).lean();
      if (!found) return {};
      if (cache.size >= maxCached) cache.clear();
      const labels = { realmId: found.realmId, accountId: found.accountId };
      cache.set(connectionId, labels);
      return labels;
    } catch {
      return {};
    }
  };
}
