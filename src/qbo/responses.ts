/**
 * Reading QBO's success envelopes: `{"<Entity>": {...}, "time"}` and `{"QueryResponse": {...}, "time"}`. Anything
 * that does not match the contract becomes a 'bad-response' QboApiError instead of a crash further in.
 */
import { z } from 'zod';
import { canonicalEntity, entitySchemas, entityValue } from './entities';
import { badResponse } from './errors';
import { entityOfStatement } from './query';
import { anyRecordSchema, type AnyRecord } from './schemas';

export interface ResponseContext {
  status: number;
  intuitTid?: string;
}

export interface QueryPage<T> {
  /** The entity named in the statement, canonically spelled when known (`customer` → `Customer`). */
  entity: string;
  rows: T[];
  /** 1-based position of the first row. */
  startPosition: number;
  /** The number of rows returned (QBO's meaning of maxResults in a response), not the page size asked for. */
  maxResults: number;
  /** Only on `count(*)` and some responses; QBO omits it on `SELECT *`, so never page by it. */
  totalCount?: number;
}

/** Validates `value` against `schema`, or throws a 'bad-response' naming what was being read. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  context: ResponseContext,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw badResponse(`${what} does not match its schema`, describeIssues(result.error), {
    ...context,
    cause: result.error,
  });
}

/** The paths and problems of a schema failure, never the values (they may be personal data). */
export function describeIssues(error: z.ZodError): string {
  const shown = error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  const more = error.issues.length > shown.length ? `; and ${error.issues.length - shown.length} more` : '';
  return shown.join('; ') + more;
}

const objectSchema = z.record(z.string(), z.unknown());

/** `{"<Entity>": {...}, "time"}` → the object under the entity's key (not yet validated). */
export function entityFromEnvelope(json: unknown, entity: string, context: ResponseContext): unknown {
  const envelope = parseWith(objectSchema, json, 'the response', context);
  const value = entityValue(envelope, entity);
  if (value === undefined) throw badResponse(`the response has no ${entity}`, '', context);
  return value;
}

/** The schema for an entity name as written in a statement; any record when this module has none for it. */
export function schemaForEntity(entity: string): z.ZodType<AnyRecord> {
  const canonical = canonicalEntity(entity);
  return canonical === undefined ? anyRecordSchema : entitySchemas[canonical];
}

const queryResponseSchema = z
  .object({
    startPosition: z.number().int().optional(),
    maxResults: z.number().int().optional(),
    totalCount: z.number().int().optional(),
  })
  .loose();

const queryEnvelopeSchema = z.object({ QueryResponse: queryResponseSchema }).loose();

/**
 * A QueryResponse for the entity named in the statement. An empty result is `{"QueryResponse": {}}` (facts
 * §2.1), so positions default to what was asked (STARTPOSITION, else 1) and to the rows actually returned.
 */
export function parseQueryResponse(
  statement: string,
  queryResponse: unknown,
  context: ResponseContext,
): QueryPage<AnyRecord> {
  const named = entityOfStatement(statement);
  if (named === undefined) throw badResponse('cannot tell which entity the query reads', statement, context);
  const entity = canonicalEntity(named) ?? named;
  const response = parseWith(queryResponseSchema, queryResponse, 'the QueryResponse', context);
  const rawRows = entityValue(response, entity) ?? [];
  const rows = parseWith(z.array(schemaForEntity(entity)), rawRows, `the ${entity} rows`, context);
  const requestedStart = /\bstartposition\s+(\d+)/i.exec(statement)?.[1];
  return {
    entity,
    rows,
    startPosition: response.startPosition ?? (requestedStart === undefined ? 1 : Number(requestedStart)),
    maxResults: response.maxResults ?? rows.length,
    ...(response.totalCount === undefined ? {} : { totalCount: response.totalCount }),
  };
}

export function queryResponseOf(json: unknown, context: ResponseContext): unknown {
  return parseWith(queryEnvelopeSchema, json, 'the query response', context).QueryResponse;
}
