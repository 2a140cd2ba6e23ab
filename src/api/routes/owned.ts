import { connectionModel, type ConnectionRecord } from '../../db/models/connection';
import { notFound } from '../http/problem';
import type { ApiServices } from '../services';

/** The account's connection with this id; another account's is "not found", never "forbidden". */
export async function ownedConnection(
  services: ApiServices,
  accountId: string,
  id: string,
): Promise<ConnectionRecord> {
  const connection = await connectionModel(await services.db())
    .findOne({ _id: id, accountId })
    .lean();
  if (!connection) throw notFound('connection', id);
  return connection;
}

/** The account's connections, or only the one named (a feed's `connectionId`), which must be the account's. */
export async function connectionsOfFeed(
  services: ApiServices,
  accountId: string,
  connectionId: string | undefined,
): Promise<ConnectionRecord[]> {
  const connections = await connectionModel(await services.db())
    .find({ accountId, ...(connectionId ? { _id: connectionId } : {}) })
    .lean();
  if (connectionId && connections.length === 0) throw notFound('connection', connectionId);
  return connections;
}
