import type { Connection as MongoConnection } from 'mongoose';
import type { QboAccess } from '../activities/qbo-access';
import { connectionModel, type ConnectionRecord } from '../db/models/connection';
import { CustomFieldsUnavailable } from '../qbo/custom-field-definitions';

export type StoredDefinitions = NonNullable<ConnectionRecord['customFieldDefinitions']>;

/**
 * Reads the company's custom field definitions again and keeps them on the connection: at each backfill, and when
 * asked (`POST /v1/connections/{id}/custom-fields/refresh`). A read that fails keeps the definitions held and
 * records why; an outage or a refused token is thrown like any other QBO failure.
 */
export async function refreshCustomFieldDefinitions(
  db: MongoConnection,
  access: Pick<QboAccess, 'customFieldDefinitions'>,
  connectionId: string,
  now: Date,
): Promise<StoredDefinitions> {
  const connections = connectionModel(db);
  try {
    const stored: StoredDefinitions = {
      definitions: await access.customFieldDefinitions(connectionId),
      refreshedAt: now,
    };
    await connections.updateOne({ _id: connectionId }, { $set: { customFieldDefinitions: stored } });
    return stored;
  } catch (error) {
    if (!(error instanceof CustomFieldsUnavailable)) throw error;
    const updated = await connections
      .findOneAndUpdate(
        { _id: connectionId },
        {
          $set: {
            'customFieldDefinitions.refreshedAt': now,
            'customFieldDefinitions.problem': error.message,
          },
        },
        { new: true },
      )
      .lean();
    return { definitions: [], ...updated?.customFieldDefinitions, refreshedAt: now, problem: error.message };
  }
}
