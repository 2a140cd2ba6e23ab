/**
 * `/batch` (facts §5.1): up to 30 independent items, each a create, sparse update, delete, void or query, each
 * answered on its own (`BatchItemResponse` with the entity, a `QueryResponse` or a `Fault`) inside an HTTP 200.
 * Items run in no guaranteed order, and one item's result is not visible to another.
 */
import { z } from 'zod';
import {
  schemaOf,
  entityValue,
  type DeletableEntity,
  type IdAndSyncToken,
  type VoidableEntity,
  type WritableEntity,
} from './entities';
import { badResponse, errorFromFault, QboApiError, QboUsageError } from './errors';
import { parseFaultJson } from './fault-body';
import {
  describeIssues,
  parseQueryResponse,
  parseWith,
  type QueryPage,
  type ResponseContext,
} from './responses';
import { deletedStubSchema, type AnyRecord, type DeletedStub } from './schemas';

/** "The maximum number of payloads in a single batch request is 30." */
export const maxBatchItems = 30;
/** "For each batch ID, only 10 characters are allowed when RequestID is also specified" (facts §1.5). */
export const maxBatchIdLength = 10;

export type BatchItem =
  | { bId: string; operation: 'create'; entity: WritableEntity; body: Record<string, unknown> }
  | {
      bId: string;
      operation: 'update';
      entity: WritableEntity;
      body: IdAndSyncToken & Record<string, unknown>;
    }
  | { bId: string; operation: 'delete'; entity: DeletableEntity; body: IdAndSyncToken }
  | { bId: string; operation: 'void'; entity: VoidableEntity; body: IdAndSyncToken }
  | { bId: string; operation: 'query'; query: string };

export type BatchResult =
  | { bId: string; ok: true; operation: 'create' | 'update' | 'void'; entity: string; record: AnyRecord }
  | { bId: string; ok: true; operation: 'delete'; entity: string; record: DeletedStub }
  | { bId: string; ok: true; operation: 'query'; entity: string; page: QueryPage<AnyRecord> }
  | { bId: string; ok: false; error: QboApiError };

/** Checks the batch before anything is sent, and renders QBO's `BatchItemRequest`. */
export function batchRequestBody(items: readonly BatchItem[]): {
  BatchItemRequest: Record<string, unknown>[];
} {
  if (items.length === 0) throw new QboUsageError('A QBO batch needs at least one item.');
  if (items.length > maxBatchItems) {
    throw new QboUsageError(
      `A QBO batch holds at most ${maxBatchItems} items; got ${items.length}. Split it into several batches.`,
    );
  }
  const seen = new Set<string>();
  for (const { bId } of items) {
    if (bId.length === 0 || bId.length > maxBatchIdLength) {
      throw new QboUsageError(
        `A batch bId must have 1 to ${maxBatchIdLength} characters with a requestid: ${bId}`,
      );
    }
    if (seen.has(bId)) throw new QboUsageError(`Duplicate batch bId: ${bId}`);
    seen.add(bId);
  }
  return { BatchItemRequest: items.map(renderItem) };
}

function renderItem(item: BatchItem): Record<string, unknown> {
  switch (item.operation) {
    case 'query':
      return { bId: item.bId, Query: item.query };
    case 'create':
      return { bId: item.bId, operation: 'create', [item.entity]: item.body };
    case 'update':
      requireIdAndSyncToken(item.body, `batch item ${item.bId}`);
      // Always sparse: a full update would null every field not sent.
      return { bId: item.bId, operation: 'update', [item.entity]: { ...item.body, sparse: true } };
    case 'delete':
      requireIdAndSyncToken(item.body, `batch item ${item.bId}`);
      return { bId: item.bId, operation: 'delete', [item.entity]: idAndSyncToken(item.body) };
    case 'void':
      requireIdAndSyncToken(item.body, `batch item ${item.bId}`);
      return {
        bId: item.bId,
        operation: 'update',
        optionsData: 'void',
        [item.entity]: voidBody(item.entity, item.body),
      };
  }
}

export function requireIdAndSyncToken(body: Partial<IdAndSyncToken>, what: string): void {
  if (
    typeof body.Id !== 'string' ||
    body.Id === '' ||
    typeof body.SyncToken !== 'string' ||
    body.SyncToken === ''
  ) {
    throw new QboUsageError(`${what} needs the Id and SyncToken of the version it changes.`);
  }
}

/** A payment is voided through a sparse update (`include=void`); other transactions take just Id and SyncToken. */
export function voidBody(entity: VoidableEntity, body: IdAndSyncToken): IdAndSyncToken & { sparse?: true } {
  return entity === 'Payment' ? { ...idAndSyncToken(body), sparse: true } : idAndSyncToken(body);
}

export function idAndSyncToken(body: IdAndSyncToken): IdAndSyncToken {
  return { Id: body.Id, SyncToken: body.SyncToken };
}

const batchEnvelopeSchema = z
  .object({
    BatchItemResponse: z.array(z.object({ bId: z.string() }).loose()),
  })
  .loose();

/** Pairs each requested item with its answer, in request order. A missing or malformed answer fails that item. */
export function parseBatchResponse(
  items: readonly BatchItem[],
  json: unknown,
  context: ResponseContext,
): BatchResult[] {
  const envelope = parseWith(batchEnvelopeSchema, json, 'the batch response', context);
  const answers = new Map(envelope.BatchItemResponse.map((answer) => [answer.bId, answer]));
  return items.map((item) => {
    const answer = answers.get(item.bId);
    if (answer === undefined) {
      return {
        bId: item.bId,
        ok: false,
        error: badResponse(`no answer for batch item ${item.bId}`, '', context),
      };
    }
    try {
      return itemResult(item, answer, context);
    } catch (error) {
      if (error instanceof QboApiError) return { bId: item.bId, ok: false, error };
      throw error;
    }
  });
}

function itemResult(item: BatchItem, answer: Record<string, unknown>, context: ResponseContext): BatchResult {
  const fault = answer.Fault === undefined ? undefined : parseFaultJson({ Fault: answer.Fault });
  if (fault !== undefined) {
    // The HTTP status of a batch is 200; the item's kind comes from its fault code.
    return { bId: item.bId, ok: false, error: errorFromFault(context.status, fault) };
  }
  if (item.operation === 'query') {
    return {
      bId: item.bId,
      ok: true,
      operation: 'query',
      ...pageResult(item.query, answer.QueryResponse, context),
    };
  }
  const value = entityValue(answer, item.entity);
  if (value === undefined) throw badResponse(`batch item ${item.bId} has no ${item.entity}`, '', context);
  if (item.operation === 'delete') {
    const record = parseWith(deletedStubSchema, value, `batch item ${item.bId}`, context);
    return { bId: item.bId, ok: true, operation: 'delete', entity: item.entity, record };
  }
  const schema = schemaOf(item.entity);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw badResponse(
      `batch item ${item.bId} does not match its schema`,
      describeIssues(parsed.error),
      context,
    );
  }
  return { bId: item.bId, ok: true, operation: item.operation, entity: item.entity, record: parsed.data };
}

function pageResult(
  statement: string,
  queryResponse: unknown,
  context: ResponseContext,
): { entity: string; page: QueryPage<AnyRecord> } {
  const page = parseQueryResponse(statement, queryResponse ?? {}, context);
  return { entity: page.entity, page };
}
