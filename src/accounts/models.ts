import { sealedSchema } from '../db/sealed-schema';
import { Schema, type Connection, type Model } from 'mongoose';
import type { Sealed } from '../security/encryption';

/** A CRM account: the tenant. Everything else (connections, contacts, events) hangs off its id. */
export interface AccountRecord {
  _id: string;
  name: string;
  /** Where outbound events go; no endpoint means events are only kept for the feed and the delivery log. */
  webhook?: {
    url: string;
    /** The signing secret, sealed with the token key ring (associated data `account:<id>:webhook`). */
    secret: Sealed;
    enabled: boolean;
  };
  settings: {
    /** Origins the connect flow may send a person back to (`returnUrl`), besides the API's own. */
    allowedReturnOrigins?: string[];
  };
  createdAt: Date;
  updatedAt: Date;
}

/** An API key. Only a SHA-256 of the secret is stored: keys are 256-bit random, so a slow hash adds nothing. */
export interface ApiKeyRecord {
  _id: string;
  accountId: string;
  /** The first characters of the key, so people can tell their keys apart. */
  prefix: string;
  secretHash: string;
  label?: string;
  createdAt: Date;
  lastUsedAt?: Date;
  revokedAt?: Date;
}

const accountSchema = new Schema<AccountRecord>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    webhook: {
      type: new Schema(
        {
          url: { type: String, required: true },
          secret: { type: sealedSchema, required: true },
          enabled: { type: Boolean, required: true },
        },
        { _id: false },
      ),
      required: false,
    },
    settings: {
      type: new Schema(
        { allowedReturnOrigins: { type: [String], default: undefined } },
        { _id: false, minimize: false },
      ),
      default: {},
    },
  },
  { timestamps: true, collection: 'accounts', versionKey: false, minimize: false },
);

const apiKeySchema = new Schema<ApiKeyRecord>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true, index: true },
    prefix: { type: String, required: true },
    secretHash: { type: String, required: true },
    label: String,
    createdAt: { type: Date, required: true },
    lastUsedAt: Date,
    revokedAt: Date,
  },
  { collection: 'api_keys', versionKey: false },
);

export function accountModel(db: Connection): Model<AccountRecord> {
  return (db.models.Account as Model<AccountRecord> | undefined) ?? db.model('Account', accountSchema);
}

export function apiKeyModel(db: Connection): Model<ApiKeyRecord> {
  return (db.models.ApiKey as Model<ApiKeyRecord> | undefined) ?? db.model('ApiKey', apiKeySchema);
}

export const webhookSecretBinding = (accountId: string): string => `account:${accountId}:webhook`;
