import type { mongo } from 'mongoose';

/**
 * Empties a collection by dropping it and recreating its indexes. FerretDB 1.24 cannot `deleteMany` a large
 * collection ("too many SQL variables"), and a drop also leaves SQLite no dead rows to scan past.
 */
export async function resetCollection(db: mongo.Db, name: string): Promise<void> {
  const exists = (await db.listCollections({ name }, { nameOnly: true }).toArray()).length > 0;
  if (!exists) return;
  const indexes = (
    (await db.collection(name).listIndexes().toArray()) as {
      name: string;
      key: Record<string, mongo.IndexDirection>;
      unique?: boolean;
    }[]
  ).filter((index) => index.name !== '_id_');
  await db.collection(name).drop();
  // createIndexes creates the collection; a writer may already have recreated it, which is as good.

  if (indexes.length > 0)
    await db.collection(name).createIndexes(
      indexes.map((index) => ({
        key: index.key,
        name: index.name,
        ...(index.unique ? { unique: true } : {}),
      })),
    );
}
