/**
 * Change data capture (facts §3): `GET /cdc?entities=…&changedSince=…` answers
 * `{"CDCResponse":[{"QueryResponse":[{"<Entity>":[…], startPosition, maxResults, totalCount?}, …]}], "time"}`,
 * one QueryResponse element per entity that changed, hard-deleted transactions as `status: "Deleted"` stubs, and
 * at most 1,000 objects per entity ("query for shorter time periods").
 */
import { z } from 'zod';
import { entityValue, schemaOf, type EntityRecord, type QboEntityName } from './entities';
import { formatQueryDate } from './query';
import { describeIssues, parseWith, type ResponseContext } from './responses';
import { deletedStubSchema } from './schemas';

/** "Server responses can handle a maximum of 1,000 objects." */
export const cdcMaxObjects = 1000;

export interface CdcDeleted {
  Id: string;
  LastUpdatedTime: string;
}

export interface CdcRejected {
  Id?: string;
  problem: string;
}

export interface CdcEntityChanges<T> {
  records: T[];
  deleted: CdcDeleted[];
  /**
   * Objects that failed their schema, by Id when one could be read. They are set aside rather than failing the
   * whole poll, so one malformed record cannot stall a realm's sync; record them and move the cursor on.
   */
  rejected: CdcRejected[];
  totalCount?: number;
  /** The entity hit the 1,000-object cap: some changes are missing. Narrow the window and ask again. */
  capped: boolean;
}

export interface CdcResult<E extends QboEntityName> {
  /** The server's time from the response: the next `changedSince`. */
  time: string;
  /** Every requested entity, empty when nothing changed. */
  changes: { [K in E]: CdcEntityChanges<EntityRecord<K>> };
}

/** `changedSince` in UTC to the second, rounded down: a cursor may repeat a change but never skip one. */
export function formatChangedSince(date: Date): string {
  return formatQueryDate(date);
}

const cdcEnvelopeSchema = z
  .object({
    CDCResponse: z
      .array(z.object({ QueryResponse: z.array(z.record(z.string(), z.unknown())).default([]) }).loose())
      .min(1),
    time: z.string().min(1),
  })
  .loose();

const countsSchema = z
  .object({ maxResults: z.number().int().optional(), totalCount: z.number().int().optional() })
  .loose();

const objectSchema = z.object({ status: z.string().optional() }).loose();

export function parseCdcResponse<E extends QboEntityName>(
  entities: readonly E[],
  json: unknown,
  context: ResponseContext,
): CdcResult<E> {
  const envelope = parseWith(cdcEnvelopeSchema, json, 'the CDC response', context);
  const responses = envelope.CDCResponse.flatMap((item) => item.QueryResponse);
  const changes = {} as { [K in E]: CdcEntityChanges<EntityRecord<K>> };
  for (const entity of entities) {
    changes[entity] = entityChanges(entity, responses, context);
  }
  return { time: envelope.time, changes };
}

function entityChanges<E extends QboEntityName>(
  entity: E,
  responses: readonly Record<string, unknown>[],
  context: ResponseContext,
): CdcEntityChanges<EntityRecord<E>> {
  const response = responses.find((candidate) => entityValue(candidate, entity) !== undefined);
  if (response === undefined) return { records: [], deleted: [], rejected: [], capped: false };
  const objects = parseWith(z.array(objectSchema), entityValue(response, entity), `CDC ${entity}`, context);
  const schema = schemaOf(entity);
  const records: EntityRecord<E>[] = [];
  const deleted: CdcDeleted[] = [];
  const rejected: CdcRejected[] = [];
  for (const object of objects) {
    const id = typeof object.Id === 'string' ? object.Id : undefined;
    if (object.status === 'Deleted') {
      const stub = deletedStubSchema.safeParse(object);
      const lastUpdated = stub.success ? stub.data.MetaData?.LastUpdatedTime : undefined;
      if (stub.success && lastUpdated !== undefined)
        deleted.push({ Id: stub.data.Id, LastUpdatedTime: lastUpdated });
      else
        rejected.push({
          Id: id,
          problem: stub.success ? 'MetaData.LastUpdatedTime: missing' : describeIssues(stub.error),
        });
    } else {
      const record = schema.safeParse(object);
      if (record.success) records.push(record.data);
      else rejected.push({ Id: id, problem: describeIssues(record.error) });
    }
  }
  const { totalCount } = parseWith(countsSchema, response, `CDC ${entity} counts`, context);
  const returned = objects.length;
  return {
    records,
    deleted,
    rejected,
    ...(totalCount === undefined ? {} : { totalCount }),
    capped: returned >= cdcMaxObjects || (totalCount !== undefined && totalCount > returned),
  };
}
