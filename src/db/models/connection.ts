import { sealedSchema } from '../sealed-schema';
import { Schema, type Connection as MongoConnection, type Model } from 'mongoose';
import { isDuplicateKey } from '../claims';
import type { Sealed } from '../../security/encryption';
import type { MappingPolicy } from '../../sync/mapping-policy';

export type ConnectionStatus = 'active' | 'needs_reauth' | 'disconnected';

export interface BackfillProgress {
  status: 'running' | 'done';
  startedAt: Date;
  finishedAt?: Date;
  /** Records read so far, per entity. */
  counts: Record<string, number>;
  /** The entity being read now. */
  entity?: string;
}

/** What a CRM account may change on a connection (`PATCH /v1/connections/:id`). */
export interface ConnectionSettings {
  /** Seconds between CDC polls, the backstop for lost webhooks. */
  pollIntervalSeconds: number;
  /** Per-field direction overrides; fields not named sync both ways. */
  mappingPolicy: MappingPolicy;
}

/**
 * FerretDB refuses '.' in stored field names, and address fields are named `billingAddress.line1`: the policy is
 * stored with '/' in their place, and turned back when read.
 */
export function storeMappingPolicy(policy: MappingPolicy): Record<string, string> {
  return Object.fromEntries(
    Object.entries(policy).map(([field, direction]) => [field.replace(/\./g, '/'), direction]),
  );
}

export function loadMappingPolicy(stored: Record<string, string> | undefined): MappingPolicy {
  return Object.fromEntries(
    Object.entries(stored ?? {}).map(([field, direction]) => [field.replace(/\//g, '.'), direction]),
  );
}

/**
 * A CRM account's link to one QuickBooks company. FerretDB 1.x rewrites a whole document on every update, so two
 * writers of one document can lose each other's fields; what other processes write while the workflow runs (the
 * OAuth tokens, the time of the last webhook) lives in documents of its own, keyed by the connection or realm.
 */
export interface ConnectionRecord {
  _id: string;
  accountId: string;
  realmId: string;
  environment: 'sandbox' | 'production';
  status: ConnectionStatus;
  statusReason?: string;
  companyName?: string;
  homeCurrency?: string;
  multiCurrency?: boolean;
  settings: ConnectionSettings;
  /** CDC cursor: the server `time` of the last poll whose changes were all stored. */
  cdcCursor?: string;
  lastPolledAt?: Date;
  /** The cursor fell behind CDC's 30-day horizon; a full reconcile must fill the gap. */
  reconcileNeeded?: boolean;
  /** The initial (or a reconciling) full read of the company, and how far it has got. */
  backfill?: BackfillProgress;
  createdAt: Date;
  updatedAt: Date;
}

const connectionSchema = new Schema<ConnectionRecord>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    realmId: { type: String, required: true },
    environment: { type: String, enum: ['sandbox', 'production'], required: true },
    status: { type: String, enum: ['active', 'needs_reauth', 'disconnected'], required: true },
    statusReason: String,
    companyName: String,
    homeCurrency: String,
    multiCurrency: Boolean,
    settings: {
      type: new Schema(
        {
          pollIntervalSeconds: { type: Number, required: true, default: 60 },
          mappingPolicy: { type: Schema.Types.Mixed, default: {} },
        },
        { _id: false, minimize: false },
      ),
      default: () => ({ pollIntervalSeconds: 60, mappingPolicy: {} }),
    },
    cdcCursor: String,
    lastPolledAt: Date,
    reconcileNeeded: Boolean,
    backfill: {
      type: new Schema(
        {
          status: { type: String, enum: ['running', 'done'], required: true },
          startedAt: { type: Date, required: true },
          finishedAt: Date,
          counts: { type: Schema.Types.Mixed, default: {} },
          entity: String,
        },
        { _id: false, minimize: false },
      ),
      required: false,
    },
  },
  { timestamps: true, collection: 'connections', versionKey: false },
);
// One connection per company per CRM account.
connectionSchema.index({ accountId: 1, realmId: 1 }, { unique: true });

export function connectionModel(db: MongoConnection): Model<ConnectionRecord> {
  return (
    (db.models.Connection as Model<ConnectionRecord> | undefined) ??
    db.model<ConnectionRecord>('Connection', connectionSchema)
  );
}

/**
 * A connection's OAuth tokens, sealed (AES-256-GCM, bound to the connection id). `version` numbers the token sets;
 * only the worker holding the refresh lease of a version writes the next (see oauth/connection-tokens.ts).
 */
export interface StoredTokens {
  /** The connection's id. */
  _id: string;
  access: Sealed;
  refresh: Sealed;
  accessExpiresAt: Date;
  refreshExpiresAt: Date;
  version: number;
  refreshedAt: Date;
}

const tokensSchema = new Schema<StoredTokens>(
  {
    _id: { type: String, required: true },
    access: { type: sealedSchema, required: true },
    refresh: { type: sealedSchema, required: true },
    accessExpiresAt: { type: Date, required: true },
    refreshExpiresAt: { type: Date, required: true },
    version: { type: Number, required: true },
    refreshedAt: { type: Date, required: true },
  },
  { collection: 'connection_tokens', versionKey: false },
);

export function connectionTokensModel(db: MongoConnection): Model<StoredTokens> {
  return (
    (db.models.ConnectionTokens as Model<StoredTokens> | undefined) ??
    db.model<StoredTokens>('ConnectionTokens', tokensSchema)
  );
}

/** When a QBO webhook for a realm was last stored: written by the API on every delivery. */
interface RealmWebhookRecord {
  /** The realm id. */
  _id: string;
  lastWebhookAt: Date;
}

const realmWebhookSchema = new Schema<RealmWebhookRecord>(
  { _id: { type: String, required: true }, lastWebhookAt: { type: Date, required: true } },
  { collection: 'realm_webhooks', versionKey: false },
);

function realmWebhookModel(db: MongoConnection): Model<RealmWebhookRecord> {
  return (
    (db.models.RealmWebhook as Model<RealmWebhookRecord> | undefined) ??
    db.model<RealmWebhookRecord>('RealmWebhook', realmWebhookSchema)
  );
}

/** Sync health shows when each connection last heard from Intuit. */
export async function markWebhookReceived(db: MongoConnection, realmIds: string[], at: Date): Promise<void> {
  for (const realmId of new Set(realmIds)) {
    try {
      await realmWebhookModel(db).updateOne(
        { _id: realmId },
        { $set: { lastWebhookAt: at } },
        { upsert: true },
      );
    } catch (error) {
      // Two deliveries for a new realm at once: the other one recorded the time.
      if (!isDuplicateKey(error)) throw error;
    }
  }
}

/** What a connection's views show beside its record: its token health and when Intuit last called. */
export interface ConnectionSideState {
  tokens: Pick<StoredTokens, 'accessExpiresAt' | 'refreshExpiresAt' | 'refreshedAt'> | null;
  lastWebhookAt: Date | null;
}

export async function connectionSideState(
  db: MongoConnection,
  connection: Pick<ConnectionRecord, '_id' | 'realmId'>,
): Promise<ConnectionSideState> {
  const [tokens, webhook] = await Promise.all([
    connectionTokensModel(db)
      .findById(connection._id, { accessExpiresAt: 1, refreshExpiresAt: 1, refreshedAt: 1 })
      .lean(),
    realmWebhookModel(db).findById(connection.realmId).lean(),
  ]);
  return { tokens: tokens ?? null, lastWebhookAt: webhook?.lastWebhookAt ?? null };
}
