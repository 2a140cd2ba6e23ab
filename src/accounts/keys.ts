import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Connection } from 'mongoose';
import { accountModel, apiKeyModel, type AccountRecord } from './models';

/**
 * API keys look like `qbs_<keyId>_<secret>`: the key id finds the record, the secret is compared with its stored
 * hash in constant time. A key is shown once, when it is created.
 */
const keyPattern = /^qbs_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

/** Whether a string has the shape of an API key (whether or not such a key exists). */
export const isApiKeyShaped = (candidate: string): boolean => keyPattern.test(candidate);

const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

export const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('hex')}`;

export async function createAccount(db: Connection, name: string, now = new Date()): Promise<AccountRecord> {
  const account = await accountModel(db).create({
    _id: newId('acct'),
    name,
    settings: {},
    createdAt: now,
    updatedAt: now,
  });
  return account.toObject();
}

export interface IssuedKey {
  id: string;
  accountId: string;
  /** The whole key: shown to the caller once and never stored. */
  key: string;
  prefix: string;
  createdAt: Date;
}

export async function issueApiKey(
  db: Connection,
  accountId: string,
  label?: string,
  now = new Date(),
): Promise<IssuedKey> {
  if (!(await accountModel(db).exists({ _id: accountId }))) throw new Error(`no account ${accountId}`);
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const key = `qbs_${id}_${secret}`;
  const prefix = key.slice(0, 12);
  await apiKeyModel(db).create({
    _id: id,
    accountId,
    prefix,
    secretHash: hashSecret(secret),
    ...(label ? { label } : {}),
    createdAt: now,
  });
  return { id, accountId, key, prefix, createdAt: now };
}

/** The account a presented key belongs to, or null for a malformed, unknown or revoked key. */
export async function authenticateKey(
  db: Connection,
  presented: string,
  now = new Date(),
): Promise<{ accountId: string; keyId: string } | null> {
  const match = keyPattern.exec(presented);
  if (!match) return null;
  const [, id, secret] = match as unknown as [string, string, string];
  const record = await apiKeyModel(db).findById(id).lean();
  if (!record || record.revokedAt) return null;
  const expected = Buffer.from(record.secretHash, 'hex');
  const actual = Buffer.from(hashSecret(secret), 'hex');
  if (!timingSafeEqual(expected, actual)) return null;
  // Best effort and coarse (once a minute), so authentication does not write on every request.
  if (!record.lastUsedAt || now.getTime() - record.lastUsedAt.getTime() > 60_000)
    void apiKeyModel(db)
      .updateOne({ _id: id }, { $set: { lastUsedAt: now } })
      .catch(() => undefined);
  return { accountId: record.accountId, keyId: id };
}

export async function revokeApiKey(
  db: Connection,
  accountId: string,
  keyId: string,
  now = new Date(),
): Promise<boolean> {
  const result = await apiKeyModel(db).updateOne(
    { _id: keyId, accountId, revokedAt: { $exists: false } },
    { $set: { revokedAt: now } },
  );
  return result.modifiedCount === 1;
}
