import type { ChangeEvent, Company } from '../company';
import { isObject } from '../entities/fields';
import { QboFault, fault } from '../faults';
import type { ReadView } from '../present';
import { runQuery } from '../reads';
import { performWrite, type WriteOperation } from '../writes';

const itemKeys = new Set(['bId', 'operation', 'optionsData', 'Query']);

/**
 * `/batch`: up to 30 independent items, each a query or a create/update/delete/void, each answered on its own
 * (`BatchItemResponse` with the entity, a `QueryResponse` or a `Fault`) inside an HTTP 200.
 */
export function runBatch(
  company: Company,
  body: unknown,
  limits: { maxItems: number; maxBIdLength: number | undefined },
  view: ReadView,
): { body: { BatchItemResponse: Record<string, unknown>[] }; events: ChangeEvent[] } {
  const items = isObject(body) ? body.BatchItemRequest : undefined;
  if (!Array.isArray(items) || items.length === 0) throw fault.requiredParam('BatchItemRequest');
  if (items.length > limits.maxItems) {
    throw fault.businessValidation(
      `A batch may hold at most ${limits.maxItems} items; this one has ${items.length}.`,
      'BatchItemRequest',
    );
  }
  // The whole request is checked before any item runs, so a refused batch leaves nothing written.
  const seen = new Set<string>();
  for (const item of items as unknown[]) {
    const bId = isObject(item) && typeof item.bId === 'string' && item.bId !== '' ? item.bId : undefined;
    if (!bId) throw fault.requiredParam('BatchItemRequest.bId');
    if (limits.maxBIdLength !== undefined && bId.length > limits.maxBIdLength) {
      throw fault.invalidValue(
        'BatchItemRequest.bId',
        `With a requestid, a bId may have at most ${limits.maxBIdLength} characters.`,
      );
    }
    if (seen.has(bId))
      throw fault.businessValidation(`Duplicate bId ${bId} in the batch.`, 'BatchItemRequest.bId');
    seen.add(bId);
  }
  const responses: Record<string, unknown>[] = [];
  const events: ChangeEvent[] = [];
  for (const item of items as Record<string, unknown>[]) {
    const bId = String(item.bId);
    try {
      responses.push({ bId, ...runItem(company, item, events, view) });
    } catch (error) {
      if (!(error instanceof QboFault)) throw error;
      responses.push({ bId, Fault: { type: error.type, Error: error.errors } });
    }
  }
  return { body: { BatchItemResponse: responses }, events };
}

function runItem(
  company: Company,
  item: Record<string, unknown>,
  events: ChangeEvent[],
  view: ReadView,
): Record<string, unknown> {
  if (typeof item.Query === 'string') return { QueryResponse: runQuery(company, item.Query, view) };
  const entityKeys = Object.keys(item).filter((key) => !itemKeys.has(key));
  if (entityKeys.length !== 1) throw fault.requiredParam('BatchItemRequest entity');
  const entity = entityKeys[0]!;
  const operation = batchOperation(item.operation, item.optionsData);
  const result = performWrite(company, entity, operation, item[entity], {}, view);
  events.push(...result.events);
  return { [result.entity]: result.responseObject };
}

function batchOperation(operation: unknown, optionsData: unknown): WriteOperation {
  if (optionsData === 'void') return 'void';
  if (operation === 'create' || operation === 'update' || operation === 'delete') return operation;
  throw fault.invalidEnumeration('operation', String(operation));
}
