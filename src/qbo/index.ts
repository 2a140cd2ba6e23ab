/** The typed QBO Accounting API client: see client.ts, and docs/architecture.md for how the engine uses it. */
export { QboClient, maxPageSize, patiently, type QboClientOptions } from './client';
export type { TokenSource } from './token-source';
export { qboLimits, RealmBudget, type BudgetLimit, type MinuteCounter, type RequestBudget } from './budget';
export { pathTemplate, type QboRequestSample } from './transport';
export {
  QboApiError,
  QboUsageError,
  classifyFault,
  errorFromFault,
  kindOf,
  parseRetryAfter,
  type HeadersLike,
  type QboApiErrorInit,
  type QboErrorKind,
} from './errors';
export {
  parseFaultBody,
  parseFaultJson,
  parseFaultXml,
  type FaultError,
  type ParsedFault,
} from './fault-body';
export {
  QboIdentifier,
  entityOfStatement,
  escapeQueryString,
  formatQueryDate,
  formatQueryValue,
  qboIdentifier,
  qboQuery,
  selectEverything,
  type QueryValue,
} from './query';
export { checkRequestId, maxBatchRequestIdLength, maxRequestIdLength, requestIdFor } from './request-id';
export {
  canonicalEntity,
  entitySchemas,
  transactionEntities,
  type DeletableEntity,
  type EntityInput,
  type EntityRecord,
  type EntityUpdate,
  type IdAndSyncToken,
  type QboEntityName,
  type SalesFormEntity,
  type TransactionEntity,
  type VoidableEntity,
  type WritableEntity,
} from './entities';
export {
  cdcMaxObjects,
  type CdcDeleted,
  type CdcEntityChanges,
  type CdcRejected,
  type CdcResult,
} from './cdc';
export { maxBatchIdLength, maxBatchItems, type BatchItem, type BatchResult } from './batch';
export type { QueryPage } from './responses';
export type { QboBinaryResponse } from './transport';
export * from './schemas';
