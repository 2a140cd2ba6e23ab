import { sealedSchema } from '../sealed-schema';
import { Schema, type Connection as MongoConnection, type Model } from 'mongoose';
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
 * A CRM account's link to one QuickBooks company. Tokens are sealed (AES-256-GCM, bound to the connection id);
 * `tokens.version` numbers the token sets; one worker at a time may move it on (see oauth/connection-tokens.ts).
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
  /** When the last QBO webhook for this realm was stored. */
  lastWebhookAt?: Date;
  /** CDC cursor: the server `time` of the last poll whose changes were all stored. */
  cdcCursor?: string;
  lastPolledAt?: Date;
  /** The cursor fell behind CDC's 30-day horizon; a full reconcile must fill the gap. */
  reconcileNeeded?: boolean;
  /** The initial (or a reconciling) full read of the company, and how far it has got. */
  backfill?: BackfillProgress;
  tokens?: {
    access: Sealed;
    refresh: Sealed;
    accessExpiresAt: Date;
    refreshExpiresAt: Date;
    version: number;
    refreshedAt: Date;
  };
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
    lastWebhookAt: Date,
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
    tokens: {
      type: new Schema(
        {
          access: { type: sealedSchema, required: true },
          refresh: { type: sealedSchema, required: true },
          accessExpiresAt: { type: Date, required: true },
          refreshExpiresAt: { type: Date, required: true },
          version: { type: Number, required: true },
          refreshedAt: { type: Date, required: true },
        },
        { _id: false },
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

/** Sync health shows when each connection last heard from Intuit. */
export async function markWebhookReceived(db: MongoConnection, realmIds: string[], at: Date): Promise<void> {
  await connectionModel(db).updateMany(
    { realmId: { $in: [...new Set(realmIds)] }, status: { $ne: 'disconnected' } },
    { $set: { lastWebhookAt: at } },
  );
}
