import type { Company, QboRecord } from '../company';
import { fault } from '../faults';
import type { EntityDefinition } from './types';

/** Stores a record the company has from the start (CompanyInfo, tax tables), stamped as QBO stamps any record. */
export function insertSystemRecord(
  company: Company,
  entity: string,
  content: Record<string, unknown>,
  id: string = company.allocateId(entity),
): QboRecord {
  const at = company.now();
  const record: QboRecord = {
    Id: id,
    SyncToken: '0',
    domain: 'QBO',
    sparse: false,
    ...content,
    MetaData: { CreateTime: company.timestamp(at), LastUpdatedTime: company.timestamp(at) },
  };
  company.put(entity, record, at);
  return record;
}

/**
 * An entity API clients read and query but never write here: its records come from the company's set-up (tax
 * tables, Preferences). `fields` are the properties a query may filter and sort on.
 */
export function readOnlyEntity(
  name: string,
  kind: EntityDefinition['kind'],
  fields: string[],
  why: string,
): EntityDefinition {
  return {
    name,
    kind,
    writable: new Set([]),
    computed: new Set(fields),
    canCreate: false,
    canDelete: false,
    canVoid: false,
    build() {
      throw fault.unsupportedOperation(`Operation Update is not supported for ${name}: ${why}`);
    },
  };
}
