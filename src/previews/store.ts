import { randomBytes } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { expiresAtIndex } from '../db/retention';
import type { StoredFields } from '../db/field-maps';
import type { FieldEffect, PlanEntry, PlanOutcome } from './plan';

/**
 * Stored previews: the plan's summary in `previews`, and one document per planned contact in `preview_entries` (its
 * input as sent and what the plan predicts), so a 10,000-contact plan pages by outcome from an index. Both expire.
 */
export const previewStatuses = ['ready', 'applying', 'applied'] as const;
export type PreviewStatus = (typeof previewStatuses)[number];

export interface PreviewRecord {
  /** `prv_…` */
  _id: string;
  accountId: string;
  connectionId: string;
  /** The contacts came in the request (`body`), or were the ones already stored (`stored`). */
  source: 'body' | 'stored' | 'none';
  /** The mapping change proposed, in the stored form of the connection's settings. */
  proposal?: { mappingPolicy?: Record<string, string>; conflictPolicy?: Record<string, string> };
  /** The connection's mapping, conflict policies and skew tolerance the plan was made under (JSON). */
  settingsAt: string;
  counts: Record<PlanOutcome, number>;
  /** A few entries per outcome. */
  samples: Partial<Record<PlanOutcome, PlanEntry[]>>;
  mappingEffects: FieldEffect[];
  /** When QBO's side was last read into the projection the plan used. */
  qboAsOf?: Date;
  status: PreviewStatus;
  applied?: {
    at: Date;
    stored: number;
    /** The contacts stored, which the sync was told of. */
    storedIds: string[];
    refused: { crmContactId: string; problem: string }[];
  };
  createdAt: Date;
  expiresAt: Date;
}

export interface PreviewEntryRecord {
  /** `<previewId>:<index, zero-padded>`: pages in the plan's order. */
  _id: string;
  previewId: string;
  outcome: PlanOutcome;
  entry: PlanEntry;
  input: { crmContactId: string; fields: StoredFields; updatedAt: string; qboCustomerId?: string };
  expiresAt: Date;
}

const previewSchema = new Schema<PreviewRecord>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    connectionId: { type: String, required: true },
    source: { type: String, required: true },
    proposal: Schema.Types.Mixed,
    settingsAt: { type: String, required: true },
    counts: { type: Schema.Types.Mixed, required: true },
    samples: { type: Schema.Types.Mixed, required: true },
    mappingEffects: { type: Schema.Types.Mixed, required: true },
    qboAsOf: Date,
    status: { type: String, enum: previewStatuses, required: true },
    applied: Schema.Types.Mixed,
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'previews', versionKey: false, minimize: false },
);
expiresAtIndex(previewSchema);

const entrySchema = new Schema<PreviewEntryRecord>(
  {
    _id: { type: String, required: true },
    previewId: { type: String, required: true },
    outcome: { type: String, required: true },
    entry: { type: Schema.Types.Mixed, required: true },
    input: { type: Schema.Types.Mixed, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'preview_entries', versionKey: false, minimize: false },
);
entrySchema.index({ previewId: 1, outcome: 1, _id: 1 });
expiresAtIndex(entrySchema);

export function previewModel(db: Connection): Model<PreviewRecord> {
  return (db.models.Preview as Model<PreviewRecord> | undefined) ?? db.model('Preview', previewSchema);
}

export function previewEntryModel(db: Connection): Model<PreviewEntryRecord> {
  return (
    (db.models.PreviewEntry as Model<PreviewEntryRecord> | undefined) ?? db.model('PreviewEntry', entrySchema)
  );
}

export const newPreviewId = (): string => `prv_${randomBytes(12).toString('hex')}`;
export const entryKey = (previewId: string, index: number): string =>
  `${previewId}:${String(index).padStart(6, '0')}`;

/** Inserted in slices, so one insert never carries thousands of contacts. */
const insertSlice = 1000;

export async function storePreview(
  db: Connection,
  preview: PreviewRecord,
  entries: PreviewEntryRecord[],
): Promise<void> {
  for (let start = 0; start < entries.length; start += insertSlice)
    await previewEntryModel(db).insertMany(entries.slice(start, start + insertSlice), {
      ordered: false,
      lean: true,
    });
  // The summary last: a preview that can be read is complete.
  await previewModel(db).create(preview);
}

export async function readPreview(
  db: Connection,
  connectionId: string,
  previewId: string,
): Promise<PreviewRecord | null> {
  return previewModel(db).findOne({ _id: previewId, connectionId }).lean<PreviewRecord>();
}

/** One page of a preview's entries, in the plan's order, of one outcome or all. */
export async function pageEntries(
  db: Connection,
  previewId: string,
  outcome: PlanOutcome | undefined,
  afterId: string | undefined,
  limit: number,
): Promise<PreviewEntryRecord[]> {
  return previewEntryModel(db)
    .find({
      previewId,
      ...(outcome ? { outcome } : {}),
      _id: afterId ? { $gt: afterId } : { $gte: `${previewId}:` },
    })
    .sort({ _id: 1 })
    .limit(limit)
    .lean<PreviewEntryRecord[]>();
}

export async function allEntries(db: Connection, previewId: string): Promise<PreviewEntryRecord[]> {
  return previewEntryModel(db).find({ previewId }).sort({ _id: 1 }).lean<PreviewEntryRecord[]>();
}

/** Takes the preview for applying; false when it is being or has been applied. */
export async function claimForApply(db: Connection, previewId: string): Promise<boolean> {
  const result = await previewModel(db).updateOne(
    { _id: previewId, status: 'ready' },
    { $set: { status: 'applying' } },
  );
  return result.matchedCount === 1;
}

export async function releaseClaim(db: Connection, previewId: string): Promise<void> {
  await previewModel(db).updateOne({ _id: previewId, status: 'applying' }, { $set: { status: 'ready' } });
}

export async function markApplied(
  db: Connection,
  previewId: string,
  applied: NonNullable<PreviewRecord['applied']>,
): Promise<void> {
  await previewModel(db).updateOne({ _id: previewId }, { $set: { status: 'applied', applied } });
}
