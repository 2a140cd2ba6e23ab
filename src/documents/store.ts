import { createHash } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKey } from '../db/errors';
import type { DocumentKind, DocumentRequest } from './request';
import type { DocumentProblem, ExpectedTotals } from './validate';

/**
 * The documents the CRM asked for, one per connection, kind and deal (`_id`): the deal id is the idempotency key.
 * The record holds the request as accepted and what became of it. Its `state` moves `writing` → `written` (or
 * `rejected`, with the problems); only the document workflow's activity moves it, by conditional updates.
 */
export const documentStates = ['writing', 'written', 'rejected'] as const;
export type DocumentState = (typeof documentStates)[number];

export interface QboTotals {
  /** The lines before any discount. */
  subtotal: number;
  discount: number;
  tax: number;
}

export interface DocumentRecord {
  /** `<connectionId>:<kind>:<dealId>` */
  _id: string;
  accountId: string;
  connectionId: string;
  kind: DocumentKind;
  dealId: string;
  request: DocumentRequest;
  /** Of the request as accepted: the same request again is a replay, another one is a conflict. */
  requestHash: string;
  /** Counts the requests that replaced a rejected one: each is a new write, with its own requestid. */
  attempt: number;
  state: DocumentState;
  problems?: DocumentProblem[];
  /** Once written. */
  qboId?: string;
  qboCustomerId?: string;
  /** What our own arithmetic expected QBO's totals to be, kept to explain a difference. */
  expected?: ExpectedTotals;
  /** QBO's figures of the document as written, which its transaction view does not carry. */
  qboTotals?: QboTotals;
  /** The last change the CRM asked for (PATCH) to the written document: being written, written or refused. */
  update?: DocumentUpdate;
  createdAt: Date;
  updatedAt: Date;
}

export interface DocumentUpdate {
  /** The whole request as it is to be: the current one with the PATCH's fields replaced (until it is written). */
  request?: DocumentRequest;
  requestHash: string;
  /** Counts the updates asked for: each is its own write, with its own requestid. */
  revision: number;
  state: 'writing' | 'written' | 'rejected';
  problems?: DocumentProblem[];
}

const schema = new Schema<DocumentRecord>(
  {
    _id: { type: String, required: true },
    accountId: { type: String, required: true },
    connectionId: { type: String, required: true },
    kind: { type: String, required: true },
    dealId: { type: String, required: true },
    request: { type: Schema.Types.Mixed, required: true },
    requestHash: { type: String, required: true },
    attempt: { type: Number, required: true },
    state: { type: String, enum: documentStates, required: true },
    problems: Schema.Types.Mixed,
    qboId: String,
    qboCustomerId: String,
    expected: Schema.Types.Mixed,
    qboTotals: Schema.Types.Mixed,
    update: Schema.Types.Mixed,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'crm_documents', versionKey: false, minimize: false },
);
schema.index({ connectionId: 1, kind: 1, qboId: 1 });

export function documentModel(db: Connection): Model<DocumentRecord> {
  return (db.models.CrmDocument as Model<DocumentRecord> | undefined) ?? db.model('CrmDocument', schema);
}

export const documentKey = (connectionId: string, kind: DocumentKind, dealId: string): string =>
  `${connectionId}:${kind}:${dealId}`;

export function requestHashOf(request: DocumentRequest): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('base64url');
}

export type Acceptance =
  /** A new write: start it. */
  | { outcome: 'accepted'; record: DocumentRecord }
  /** The same request as the one held: answer with it (still writing, written or rejected). */
  | { outcome: 'same'; record: DocumentRecord }
  /** Another request for a deal whose document is written or being written. */
  | { outcome: 'conflict'; record: DocumentRecord };

/**
 * Takes the CRM's request for a deal's document. The first request is stored; the same request again (a retry, a
 * double click, five at once) finds it; a different one replaces a rejected request (the CRM fixed what we refused)
 * and is otherwise a conflict. One insert or one conditional update decides, so concurrent requests agree.
 */
export async function acceptRequest(
  db: Connection,
  input: {
    accountId: string;
    connectionId: string;
    kind: DocumentKind;
    dealId: string;
    request: DocumentRequest;
  },
  now: Date,
): Promise<Acceptance> {
  const documents = documentModel(db);
  const _id = documentKey(input.connectionId, input.kind, input.dealId);
  const requestHash = requestHashOf(input.request);
  for (;;) {
    const held = await documents.findById(_id).lean();
    if (!held) {
      const record: DocumentRecord = {
        _id,
        ...input,
        requestHash,
        attempt: 0,
        state: 'writing',
        createdAt: now,
        updatedAt: now,
      };
      try {
        await documents.create(record);
        return { outcome: 'accepted', record };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        continue;
      }
    }
    if (held.requestHash === requestHash && held.state !== 'rejected')
      return { outcome: 'same', record: held };
    if (held.state !== 'rejected') return { outcome: 'conflict', record: held };
    // A rejected request, sent again or replaced: written anew. The attempt guard lets one of several racers win.
    const replaced = await documents
      .findOneAndUpdate(
        { _id, state: 'rejected', attempt: held.attempt },
        {
          $set: { request: input.request, requestHash, state: 'writing', updatedAt: now },
          $inc: { attempt: 1 },
          $unset: { problems: 1 },
        },
        { new: true },
      )
      .lean();
    if (replaced) return { outcome: 'accepted', record: replaced };
  }
}

export async function readDocumentRecord(db: Connection, _id: string): Promise<DocumentRecord | null> {
  return documentModel(db).findById(_id).lean();
}

export async function findDocumentByQboId(
  db: Connection,
  connectionId: string,
  kind: DocumentKind,
  qboId: string,
): Promise<DocumentRecord | null> {
  return documentModel(db).findOne({ connectionId, kind, qboId }).lean();
}

/** The write's outcome, recorded once for the attempt it belongs to (a late retry of an old attempt changes nothing). */
export async function recordWritten(
  db: Connection,
  record: Pick<DocumentRecord, '_id' | 'attempt'>,
  written: { qboId: string; qboCustomerId: string; expected: ExpectedTotals; qboTotals: QboTotals },
  now: Date,
): Promise<void> {
  await documentModel(db).updateOne(
    { _id: record._id, attempt: record.attempt, state: 'writing' },
    { $set: { state: 'written', ...written, updatedAt: now } },
  );
}

export async function recordRejected(
  db: Connection,
  record: Pick<DocumentRecord, '_id' | 'attempt'>,
  problems: DocumentProblem[],
  now: Date,
): Promise<void> {
  await documentModel(db).updateOne(
    { _id: record._id, attempt: record.attempt, state: 'writing' },
    { $set: { state: 'rejected', problems, updatedAt: now } },
  );
}

export type UpdateAcceptance =
  { outcome: 'accepted' | 'same'; record: DocumentRecord } | { outcome: 'conflict'; record: DocumentRecord };

/**
 * Takes a change to a written document: the same change again finds the one under way (or written); another one
 * while a change is being written is a conflict. One conditional update on the last revision decides.
 */
export async function acceptUpdate(
  db: Connection,
  record: DocumentRecord,
  request: DocumentRequest,
  now: Date,
): Promise<UpdateAcceptance> {
  const requestHash = requestHashOf(request);
  const held = record.update;
  if (held?.state === 'writing')
    return { outcome: held.requestHash === requestHash ? 'same' : 'conflict', record };
  const update: DocumentUpdate = {
    request,
    requestHash,
    revision: (held?.revision ?? 0) + 1,
    state: 'writing',
  };
  const accepted = await documentModel(db)
    .findOneAndUpdate(
      { _id: record._id, state: 'written', 'update.revision': held?.revision ?? { $exists: false } },
      { $set: { update, updatedAt: now } },
      { new: true },
    )
    .lean();
  if (accepted) return { outcome: 'accepted', record: accepted };
  const current = await readDocumentRecord(db, record._id);
  if (!current) throw new Error(`the document ${record._id} vanished`);
  return { outcome: current.update?.requestHash === requestHash ? 'same' : 'conflict', record: current };
}

/** The change written: it becomes the document's request. */
export async function recordUpdated(
  db: Connection,
  record: Pick<DocumentRecord, '_id'> & { update: DocumentUpdate },
  written: { qboCustomerId: string; expected: ExpectedTotals; qboTotals: QboTotals },
  now: Date,
): Promise<void> {
  const { update } = record;
  await documentModel(db).updateOne(
    { _id: record._id, 'update.revision': update.revision, 'update.state': 'writing' },
    {
      // The update stays, written, so the next one counts on from its revision.
      $set: {
        request: update.request,
        requestHash: update.requestHash,
        'update.state': 'written',
        ...written,
        updatedAt: now,
      },
      $unset: { 'update.request': 1 },
    },
  );
}

export async function recordUpdateRejected(
  db: Connection,
  record: Pick<DocumentRecord, '_id'> & { update: DocumentUpdate },
  problems: DocumentProblem[],
  now: Date,
): Promise<void> {
  await documentModel(db).updateOne(
    { _id: record._id, 'update.revision': record.update.revision, 'update.state': 'writing' },
    { $set: { 'update.state': 'rejected', 'update.problems': problems, updatedAt: now } },
  );
}
