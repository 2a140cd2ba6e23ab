import { connectionModel, type ConnectionRecord } from '../../db/models/connection';
import { notFound } from '../http/problem';
import type { ApiServices } from '../services';

/** The account's connection with this id; another account's is "not found", never "forbidden". */
export async function ownedConnection(
  services: ApiServices,
  accountId: string,
  id: string,
): Promise<ConnectionRecord> {
  // By _id alone, the one lookup FerretDB does through an index; the owner is checked here.
  const connection = await connectionModel(await services.db())
    .findById(id)
    .lean();
  if (connection?.accountId !== accountId) throw notFound('connection', id);
  return connection;
}
