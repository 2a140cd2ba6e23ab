import type { Connection } from 'mongoose';

/** One operation the driver sent to a collection, with the filter it carried. */
export interface WatchedOperation {
  collection: string;
  method: string;
  filter: Record<string, unknown> | undefined;
}

/** Every operation `run` sends to `collections`, as mongoose's debug hook sees them. */
export async function watchOperations<T>(
  conn: Connection,
  collections: readonly string[],
  run: () => Promise<T>,
): Promise<{ result: T; operations: WatchedOperation[] }> {
  const operations: WatchedOperation[] = [];
  conn.set('debug', (collection: string, method: string, ...args: unknown[]) => {
    if (!collections.includes(collection)) return;
    operations.push({ collection, method, filter: args[0] as Record<string, unknown> | undefined });
  });
  try {
    return { result: await run(), operations };
  } finally {
    conn.set('debug', false);
  }
}

const filtering =
  /^(find|findOne|findOneAndUpdate|updateOne|updateMany|deleteOne|deleteMany|countDocuments)$/;

/**
 * The operations that read a whole collection: every filter is explained by the server, and a plan without an
 * index (COLLSCAN) is listed. Inserts have no filter and are left out.
 */
export async function unindexed(
  conn: Connection,
  operations: readonly WatchedOperation[],
): Promise<string[]> {
  const scans: string[] = [];
  for (const { collection, method, filter } of operations) {
    if (!filtering.test(method) || !filter || Object.keys(filter).length === 0) continue;
    const plan = await conn.db!.collection(collection).find(filter).explain();
    const winning = JSON.stringify(
      (plan as { queryPlanner?: { winningPlan?: unknown } }).queryPlanner?.winningPlan,
    );
    if (!/IXSCAN|IDHACK|EXPRESS/.test(winning))
      scans.push(`${collection}.${method}(${JSON.stringify(filter)})`);
  }
  return scans;
}
