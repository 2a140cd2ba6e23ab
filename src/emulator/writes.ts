import type { Company, QboRecord } from './company';
import { findEntity } from './entities';
import type { Input } from './entities/types';
import { isObject } from './entities/fields';
import { fault } from './faults';
import { defaultView, present, type ReadView } from './present';
import {
  createEntity,
  deleteEntity,
  updateEntity,
  voidEntity,
  type Actor,
  type OperationResult,
} from './operations';

export type WriteOperation = 'create' | 'update' | 'delete' | 'void';

/**
 * Decides what a POST means, the way QBO reads it: `?operation=delete|void`, a payment's
 * `?operation=update&include=void`, an update when the body carries an Id, otherwise a create.
 */
export function writeOperation(
  operation: string | undefined,
  include: string | undefined,
  body: Input,
): WriteOperation {
  switch (operation?.toLowerCase()) {
    case 'delete':
      return 'delete';
    case 'void':
      return 'void';
    case undefined:
    case '':
    case 'create':
    case 'update':
      if (include?.toLowerCase() === 'void') return 'void';
      return body.Id !== undefined && body.Id !== null && operation?.toLowerCase() !== 'create'
        ? 'update'
        : 'create';
    default:
      throw fault.unsupportedOperation(`Operation ${operation} is not supported.`);
  }
}

export interface WriteResult extends OperationResult {
  entity: string;
  /** What the response carries: the record, or the `{status: "Deleted"}` stub of a hard delete. */
  responseObject: Record<string, unknown>;
}

export function performWrite(
  company: Company,
  entityName: string,
  operation: WriteOperation,
  body: unknown,
  actor: Actor = {},
  view: ReadView = defaultView,
): WriteResult {
  const definition = findEntity(entityName);
  if (!definition) throw fault.unsupportedOperation(`Unsupported entity: ${entityName}`);
  if (!isObject(body)) throw fault.invalidValue(definition.name, 'The request body must be a JSON object.');
  let result: OperationResult;
  switch (operation) {
    case 'create':
      result = createEntity(company, definition, body, actor);
      break;
    case 'update':
      result = updateEntity(company, definition, body, { sparse: sparseFlag(body.sparse), ...actor });
      break;
    case 'delete':
      result = deleteEntity(company, definition, body, actor);
      break;
    case 'void':
      result = voidEntity(company, definition, body, actor);
      break;
  }
  const responseObject: Record<string, unknown> =
    operation === 'delete'
      ? { status: 'Deleted', domain: 'QBO', Id: result.record.Id }
      : (present(company, definition.name, result.record, view) satisfies QboRecord);
  return { ...result, entity: definition.name, responseObject };
}

/** `sparse` is a boolean, though Intuit's JSON reader also takes "true" and "false" as strings. */
function sparseFlag(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw fault.invalidValue('sparse', 'Expected true or false.');
}
