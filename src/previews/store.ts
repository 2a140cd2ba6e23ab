import { randomBytes } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { expiresAtIndex } from '../db/retention';
import type { StoredFields } from '../db/field-maps';
import type { TransactionHistory } from '../sync/transaction-history';
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
  /**
   * The connection's transaction history window and what it imported: the backfill's first `TxnDate` (null: all)
   * and the transactions held. What it left out is not known without asking QBO, which a preview never does.
   */
  transactions?: { history: TransactionHistory; since: string | null; imported: number };
  status: PreviewStatus;
  applied?: {
    at: Date;
    stored: number;
    /** The contacts stored, which the sync was told of. */
    storedIds: string[];
    /** The linked contacts the mapping change writes, which the sync was told of too (absent on older previews). */
    remergedIds?: string[];
    refused: { crmContactId: string; problem: string }[];
  };
  createdAt: Date;
  expiresAt: Date;
}

/** A planned contact: what the plan predicts, and the contact as it was planned (to plan it again). */
export interface StoredEntry {
  entry: PlanEntry;
  input: {
    crmContactId: string;
    fields: StoredFields;
    /** By CRM key, as sent. */
    customFields?: Record<string, unknown>;
    updatedAt: string;
    qboCustomerId?: string;
  };
}

/** The entries of one view (all, in the plan's order, or one outcome's), stored `chunkSize` to a document. */
export type EntryView = 'all' | PlanOutcome;

export interface PreviewChunkRecord {
  /** `<previewId>:<view>:<seq, zero-padded>` */
  _id: string;
  previewId: string;
  view: EntryView;
  seq: number;
  /** Only the `all` view keeps the inputs; an outcome's view is for reading. */
  entries: (StoredEntry | Pick<StoredEntry, 'entry'>)[];
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
    transactions: Schema.Types.Mixed,
    status: { type: String, enum: previewStatuses, required: true },
    applied: Schema.Types.Mixed,
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'previews', versionKey: false, minimize: false },
);
expiresAtIndex(previewSchema);

const chunkSchema = new Schema<PreviewChunkRecord>(
  {
    _id: { type: String, required: true },
    previewId: { type: String, required: true },
    view: { type: String, required: true },
    seq: { type: Number, required: true },
    entries: { type: Schema.Types.Mixed, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'preview_entries', versionKey: false, minimize: false },
);
chunkSchema.index({ previewId: 1, view: 1, seq: 1 });
expiresAtIndex(chunkSchema);

export function previewModel(db: Connection): Model<PreviewRecord> {
  return (db.models.Preview as Model<PreviewRecord> | undefined) ?? db.model('Preview', previewSchema);
}

export function previewChunkModel(db: Connection): Model<PreviewChunkRecord> {
  return (
    (db.models.PreviewChunk as Model<PreviewChunkRecord> | undefined) ?? db.model('PreviewChunk', chunkSchema)
  );
}

export const newPreviewId = (): string => `prv_${randomBytes(12).toString('hex')}`;

/**
 * Entries per stored document: the embedded database pays per document written, so 10,000 entries as a few dozen
 * documents store in a fraction of the time; a page of at most 200 reads one or two of them.
 */
const chunkSize = 500;

function chunksOf(
  previewId: string,
  view: EntryView,
  entries: PreviewChunkRecord['entries'],
  expiresAt: Date,
): PreviewChunkRecord[] {
  const chunks: PreviewChunkRecord[] = [];
  for (let start = 0; start < entries.length; start += chunkSize) {
    const seq = start / chunkSize;
    chunks.push({
      _id: `${previewId}:${view}:${String(seq).padStart(4, '0')}`,
      previewId,
      view,
      seq,
      entries: entries.slice(start, start + chunkSize),
      expiresAt,
    });
  }
  return chunks;
}

/** Stores the entries in the plan's order and by outcome, then the summary: a preview that can be read is whole. */
export async function storePreview(
  db: Connection,
  preview: PreviewRecord,
  entries: StoredEntry[],
): Promise<void> {
  const byOutcome = new Map<PlanOutcome, Pick<StoredEntry, 'entry'>[]>();
  for (const { entry } of entries) {
    const list = byOutcome.get(entry.outcome) ?? [];
    list.push({ entry });
    byOutcome.set(entry.outcome, list);
  }
  const chunks = [
    ...chunksOf(preview._id, 'all', entries, preview.expiresAt),
    ...[...byOutcome].flatMap(([outcome, list]) => chunksOf(preview._id, outcome, list, preview.expiresAt)),
  ];
  if (chunks.length > 0) await previewChunkModel(db).insertMany(chunks, { ordered: false, lean: true });
  await previewModel(db).create(preview);
}

export async function readPreview(
  db: Connection,
  connectionId: string,
  previewId: string,
): Promise<PreviewRecord | null> {
  return previewModel(db).findOne({ _id: previewId, connectionId }).lean<PreviewRecord>();
}

/** Where an entry is in a view: its chunk and its place in it. */
export interface EntryPosition {
  seq: number;
  offset: number;
}

/** Up to `limit` entries of a view after `after` (exclusive), in order, each with its position. */
export async function pageEntries(
  db: Connection,
  previewId: string,
  view: EntryView,
  after: EntryPosition | undefined,
  limit: number,
): Promise<{ entry: PlanEntry; position: EntryPosition }[]> {
  const chunks = await previewChunkModel(db)
    .find({ previewId, view, seq: { $gte: after?.seq ?? 0 } })
    .sort({ seq: 1 })
    .limit(Math.ceil(limit / chunkSize) + 1)
    .lean<PreviewChunkRecord[]>();
  const found: { entry: PlanEntry; position: EntryPosition }[] = [];
  for (const chunk of chunks)
    chunk.entries.forEach(({ entry }, offset) => {
      const later = !after || chunk.seq > after.seq || offset > after.offset;
      if (later && found.length < limit) found.push({ entry, position: { seq: chunk.seq, offset } });
    });
  return found;
}

/** Every entry with its input, in the plan's order. */
export async function allEntries(db: Connection, previewId: string): Promise<StoredEntry[]> {
  const chunks = await previewChunkModel(db)
    .find({ previewId, view: 'all' })
    .sort({ seq: 1 })
    .lean<PreviewChunkRecord[]>();
  return chunks.flatMap((chunk) => chunk.entries as StoredEntry[]);
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
