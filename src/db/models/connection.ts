import { defaultActivePollIntervalSeconds } from '../../sync/polling';
import { loadFieldMap } from '../field-maps';
import { sealedSchema } from '../sealed-schema';
import { Schema, type Connection as MongoConnection, type Model } from 'mongoose';
import type { Sealed } from '../../security/encryption';
import { timeZoneBases, type CompanyTimeZone } from '../../time/company-zone';
import { defaultTransactionHistory, type TransactionHistory } from '../../sync/transaction-history';
import {
  defaultSkewToleranceSeconds,
  type ConflictPolicies,
  type MappingPolicy,
} from '../../sync/mapping-policy';
import {
  mappedCustomFields,
  type CustomFieldDefinition,
  type MappedCustomField,
} from '../../sync/custom-fields';

export type ConnectionStatus = 'active' | 'needs_reauth' | 'disconnected';

/**
 * What a document line naming a product QBO does not have does: refused (422 naming the line), sold as the
 * connection's default item, or created in QBO as a service item.
 */
export const missingProductPolicies = ['reject', 'default_item', 'create_item'] as const;
export type MissingProductPolicy = (typeof missingProductPolicies)[number];

export interface BackfillProgress {
  status: 'running' | 'done';
  startedAt: Date;
  finishedAt?: Date;
  /** Records read so far, per entity. */
  counts: Record<string, number>;
  /** The entity being read now. */
  entity?: string;
  /** The first `TxnDate` this backfill reads transactions from (the window, fixed when it began); absent: all. */
  transactionsSince?: string;
}

/**
 * A backfill as it stands. One not done is stored as `running`, but it runs only while the connection is active:
 * one the grant interrupted waits for a reconnect, which resumes it; one whose connection was disconnected stopped.
 */
export function backfillState(
  backfill: BackfillProgress,
  connectionStatus: ConnectionStatus,
): 'running' | 'waiting_for_reconnect' | 'stopped' | 'done' {
  if (backfill.status === 'done') return 'done';
  if (connectionStatus === 'needs_reauth') return 'waiting_for_reconnect';
  return connectionStatus === 'disconnected' ? 'stopped' : 'running';
}

/** What a CRM account may change on a connection (`PATCH /v1/connections/:id`). */
export interface ConnectionSettings {
  /** Seconds between CDC polls while the company is idle: the backstop for lost webhooks. */
  pollIntervalSeconds: number;
  /** Seconds between CDC polls while it is active (changed in the last five minutes): Intuit's webhooks are late. */
  activePollIntervalSeconds: number;
  /** Per-field direction overrides; fields not named sync both ways. */
  mappingPolicy: MappingPolicy;
  /** Per-field conflict policies; fields not named go to the most recent change. */
  conflictPolicy: ConflictPolicies;
  /**
   * The QBO custom fields synced with CRM contact fields: CRM key → definition id. Each syncs as the field
   * `custom.<definitionId>`, whose direction and conflict policy are in the two maps above.
   */
  customFields: Record<string, string>;
  /** Changes this close in time are simultaneous (and QBO wins); also how far ahead a CRM clock may run. */
  skewToleranceSeconds: number;
  /** Documents from the CRM: a line whose product QBO does not have. */
  missingProductPolicy: MissingProductPolicy;
  /** The QBO item sold in a missing product's place under `default_item` (its line keeps the product's name). */
  defaultItemId: string | null;
  /** Home-currency lifetime sales from which a contact is tagged `qb:high-value`; null: no such tag. */
  highValueThreshold: number | null;
  /** How far back the backfill reads transactions; CDC's changes to older ones still arrive. */
  transactionHistory: TransactionHistory;
}

/** A connection's settings as the engine uses them, with the defaults filled in. */
export function settingsOf(connection: Pick<ConnectionRecord, 'settings'>): ConnectionSettings {
  const stored = connection.settings;
  return {
    pollIntervalSeconds: stored?.pollIntervalSeconds ?? 60,
    activePollIntervalSeconds: stored?.activePollIntervalSeconds ?? defaultActivePollIntervalSeconds,
    mappingPolicy: loadFieldMap(stored?.mappingPolicy),
    conflictPolicy: loadFieldMap(stored?.conflictPolicy),
    customFields: { ...stored?.customFields },
    skewToleranceSeconds: stored?.skewToleranceSeconds ?? defaultSkewToleranceSeconds,
    missingProductPolicy: stored?.missingProductPolicy ?? 'reject',
    defaultItemId: stored?.defaultItemId ?? null,
    highValueThreshold: stored?.highValueThreshold ?? null,
    transactionHistory: stored?.transactionHistory ?? defaultTransactionHistory,
  };
}

export interface ConnectionPause {
  since: Date;
  /** Why, as whoever paused it said; empty when they said nothing. */
  note: string;
}

/** A pause as the API, health and ops show it; null while the connection syncs. */
export function pauseView(
  connection: Pick<ConnectionRecord, 'paused'>,
): { since: string; note: string } | null {
  return connection.paused
    ? { since: connection.paused.since.toISOString(), note: connection.paused.note }
    : null;
}

/** The custom fields a connection syncs: its mapping, with the definitions last read from QBO. */
export function syncedCustomFields(
  connection: Pick<ConnectionRecord, 'settings' | 'customFieldDefinitions'>,
): MappedCustomField[] {
  return mappedCustomFields(
    settingsOf(connection).customFields,
    connection.customFieldDefinitions?.definitions ?? [],
  );
}

/**
 * A CRM account's link to one QuickBooks company. The API writes its settings and status, the engine its cursor,
 * backfill progress and the time of the last webhook; every write sets only its own fields, atomically, so none of
 * them undoes another (docs/architecture.md, "Who writes what").
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
  /** The company's zone, inferred from CompanyInfo at each connect; absent on connections made before it was. */
  timeZone?: CompanyTimeZone;
  settings: ConnectionSettings;
  /** When Intuit last delivered a webhook for this realm (written by the API). */
  lastWebhookAt?: Date;
  /** CDC cursor: the server `time` of the last poll whose changes were all stored. */
  cdcCursor?: string;
  lastPolledAt?: Date;
  /** When the company is next due an idle poll: a poll's time plus its idle interval (see idlePollSweep). */
  nextPollAt?: Date;
  /** The cursor fell behind CDC's 30-day horizon; a full reconcile must fill the gap. */
  reconcileNeeded?: boolean;
  /** The initial (or a reconciling) full read of the company, and how far it has got. */
  backfill?: BackfillProgress;
  /**
   * Connected "preview first": contacts the CRM sends are stored but not written to QBO until a preview of them is
   * applied (`POST /v1/connections/{id}/previews/{previewId}/apply`).
   */
  awaitingPreview?: boolean;
  /**
   * Paused by the CRM or an operator (`POST /v1/connections/{id}/pause`): the workflow sends nothing to QBO and
   * applies nothing either way; contacts and webhooks are stored and wait for `resume`.
   */
  paused?: ConnectionPause;
  /** The company's custom field definitions for customers, as last read (at each backfill, and on demand). */
  customFieldDefinitions?: {
    definitions: CustomFieldDefinition[];
    refreshedAt: Date;
    /** Why the last read failed (the definitions before it are kept). */
    problem?: string;
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
    timeZone: {
      type: new Schema(
        {
          name: { type: String, required: true },
          basis: { type: String, enum: timeZoneBases, required: true },
        },
        { _id: false },
      ),
      required: false,
    },
    settings: {
      type: new Schema(
        {
          pollIntervalSeconds: { type: Number, required: true, default: 60 },
          activePollIntervalSeconds: { type: Number, default: defaultActivePollIntervalSeconds },
          mappingPolicy: { type: Schema.Types.Mixed, default: {} },
          conflictPolicy: { type: Schema.Types.Mixed, default: {} },
          customFields: { type: Schema.Types.Mixed, default: {} },
          skewToleranceSeconds: { type: Number, default: defaultSkewToleranceSeconds },
          missingProductPolicy: { type: String, enum: missingProductPolicies, default: 'reject' },
          defaultItemId: String,
          highValueThreshold: { type: Number, default: null },
          transactionHistory: Schema.Types.Mixed,
        },
        { _id: false, minimize: false },
      ),
      default: () => ({
        pollIntervalSeconds: 60,
        activePollIntervalSeconds: defaultActivePollIntervalSeconds,
        mappingPolicy: {},
        conflictPolicy: {},
        customFields: {},
        skewToleranceSeconds: defaultSkewToleranceSeconds,
        missingProductPolicy: 'reject',
        highValueThreshold: null,
      }),
    },
    lastWebhookAt: Date,
    cdcCursor: String,
    lastPolledAt: Date,
    nextPollAt: Date,
    reconcileNeeded: Boolean,
    awaitingPreview: Boolean,
    paused: {
      type: new Schema(
        { since: { type: Date, required: true }, note: { type: String, default: '' } },
        { _id: false },
      ),
      required: false,
    },
    customFieldDefinitions: Schema.Types.Mixed,
    backfill: {
      type: new Schema(
        {
          status: { type: String, enum: ['running', 'done'], required: true },
          startedAt: { type: Date, required: true },
          finishedAt: Date,
          counts: { type: Schema.Types.Mixed, default: {} },
          entity: String,
          transactionsSince: String,
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
// A webhook for a realm goes to every live connection of it.
connectionSchema.index({ realmId: 1, status: 1 });
// The idle-poll sweep's query: live connections due a poll.
connectionSchema.index({ status: 1, nextPollAt: 1 });

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

/** Sync health shows when each connection last heard from Intuit. */
export async function markWebhookReceived(db: MongoConnection, realmIds: string[], at: Date): Promise<void> {
  await connectionModel(db).updateMany(
    { realmId: { $in: [...new Set(realmIds)] } },
    { $set: { lastWebhookAt: at } },
  );
}

/** Token health, which a connection's views show beside its record. */
export type TokenHealth = Pick<StoredTokens, 'accessExpiresAt' | 'refreshExpiresAt' | 'refreshedAt'>;

export async function tokenHealth(db: MongoConnection, connectionId: string): Promise<TokenHealth | null> {
  return connectionTokensModel(db)
    .findById(connectionId, { accessExpiresAt: 1, refreshExpiresAt: 1, refreshedAt: 1 })
    .lean();
}
