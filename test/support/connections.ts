import type { Connection as MongoConnection } from 'mongoose';
import { connectionModel, type ConnectionRecord } from '../../src/db/models/connection';
import { storeTokens } from '../../src/oauth/connection-tokens';
import type { KeyRing } from '../../src/security/encryption';
import type { TestEmulator } from './emulator';

/**
 * A stored connection to an emulator company, with tokens minted through the emulator's admin API and sealed as
 * the connect flow would seal them.
 */
export async function createTestConnection(
  db: MongoConnection,
  emulator: TestEmulator,
  keys: KeyRing,
  fields: Pick<ConnectionRecord, '_id' | 'realmId' | 'accountId'> & Partial<ConnectionRecord>,
): Promise<void> {
  const tokens = await emulator.admin('POST', `/companies/${fields.realmId}/tokens`, {});
  await connectionModel(db).create({
    environment: 'sandbox',
    status: 'active',
    homeCurrency: 'USD',
    ...fields,
  });
  await storeTokens(
    db,
    keys,
    fields._id,
    {
      accessToken: tokens.json.access_token,
      refreshToken: tokens.json.refresh_token,
      accessExpiresAt: new Date(Date.now() + 3_600_000),
      refreshExpiresAt: new Date(Date.now() + 86_400_000),
    },
    new Date(),
  );
}
