/**
 * The typed QBO Accounting API v3 client for one realm: what the sync engine's activities call. Every answer is
 * validated against its zod schema; every failure is a QboApiError (see errors.ts) or, for a call that could never
 * be valid, a QboUsageError thrown before anything is sent. Updates are always sparse.
 */
import {
  batchRequestBody,
  idAndSyncToken,
  parseBatchResponse,
  requireIdAndSyncToken,
  voidBody,
  type BatchItem,
  type BatchResult,
} from './batch';
import { formatChangedSince, parseCdcResponse, type CdcResult } from './cdc';
import {
  pathSegment,
  schemaOf,
  type DeletableEntity,
  type EntityInput,
  type EntityRecord,
  type EntityUpdate,
  type IdAndSyncToken,
  type QboEntityName,
  type SalesFormEntity,
  type VoidableEntity,
  type WritableEntity,
} from './entities';
import { QboApiError, QboUsageError } from './errors';
import { entityOfStatement, selectEverything } from './query';
import { checkRequestId, maxBatchRequestIdLength, maxRequestIdLength } from './request-id';
import {
  entityFromEnvelope,
  parseQueryResponse,
  parseWith,
  queryResponseOf,
  type QueryPage,
  type ResponseContext,
} from './responses';
import {
  deletedStubSchema,
  type AnyRecord,
  type CompanyInfo,
  type DeletedStub,
  type Preferences,
} from './schemas';
import type { RequestBudget } from './budget';
import type { TokenSource } from './token-source';
import {
  QboTransport,
  type QboBinaryResponse,
  type QboHttpRequest,
  type QboRequestSample,
} from './transport';

export interface QboClientOptions {
  /** e.g. https://sandbox-quickbooks.api.intuit.com, https://quickbooks.api.intuit.com, or the emulator's URL. */
  baseUrl: string;
  realmId: string;
  /** Default 75: since 2025-08-01 QBO answers as 75 whatever lower value is asked (facts §1.4). */
  minorVersion?: number;
  /** Per attempt, default 15000; the one replay after a 401 gets its own. */
  timeoutMs?: number;
  tokens: TokenSource;
  fetch?: typeof fetch;
  /** The realm's request budget (see budget.ts); the sync engine always passes one. */
  budget?: RequestBudget;
  /** Told of every request's outcome without realm, ids or tokens (the worker's metrics). */
  onRequest?: (sample: QboRequestSample) => void;
}

/** QBO's largest page (facts §2.1). */
export const maxPageSize = 1000;

export class QboClient {
  readonly realmId: string;
  private readonly transport: QboTransport;

  constructor(options: QboClientOptions) {
    const timeoutMs = options.timeoutMs ?? 15_000;
    const minorVersion = options.minorVersion ?? 75;
    if (!Number.isInteger(minorVersion) || minorVersion < 1) {
      throw new QboUsageError(`minorVersion must be a positive integer; got ${minorVersion}.`);
    }
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new QboUsageError(`timeoutMs must be positive; got ${timeoutMs}.`);
    }
    if (!/^\d+$/.test(options.realmId)) throw new QboUsageError('realmId must be the company id (digits).');
    this.realmId = options.realmId;
    this.transport = new QboTransport({
      baseUrl: options.baseUrl,
      realmId: options.realmId,
      minorVersion,
      timeoutMs,
      tokens: options.tokens,
      fetch: options.fetch ?? globalThis.fetch,
      ...(options.budget ? { budget: options.budget } : {}),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    });
  }

  /**
   * `GET /{entity}/{id}`. An unknown Id is a 'not-found' (610). `include` asks for what a read leaves out unless
   * asked: `invoiceLink` (an invoice's online payment page), `enhancedAllCustomFields`.
   */
  async read<E extends QboEntityName>(
    entity: E,
    id: string,
    options: { include?: readonly string[] } = {},
  ): Promise<EntityRecord<E>> {
    return this.entityCall(entity, {
      method: 'GET',
      path: `/${pathSegment(entity)}/${encodeURIComponent(id)}`,
      ...(options.include?.length ? { query: { include: options.include.join(',') } } : {}),
    });
  }

  /**
   * `GET /query?query=…`: one page for the entity named in the statement. Rows are checked against that entity's
   * schema; pass `{ entity }` to have them typed as it (the statement must name the same entity).
   */
  query(statement: string): Promise<QueryPage<AnyRecord>>;
  query<E extends QboEntityName>(
    statement: string,
    options: { entity: E },
  ): Promise<QueryPage<EntityRecord<E>>>;
  async query(statement: string, options?: { entity: QboEntityName }): Promise<QueryPage<AnyRecord>> {
    const named = entityOfStatement(statement);
    if (named === undefined) throw new QboUsageError(`Not a QBO select statement: ${statement}`);
    if (options && named.toLowerCase() !== options.entity.toLowerCase()) {
      throw new QboUsageError(`The statement reads ${named}, not ${options.entity}.`);
    }
    const response = await this.transport.send({
      method: 'GET',
      path: '/query',
      query: withCustomFields([named], { query: statement }),
    });
    const context = contextOf(response);
    return parseQueryResponse(statement, queryResponseOf(response.json, context), context);
  }

  /**
   * Every record of an entity, page by page (STARTPOSITION/MAXRESULTS), stopping at the first short page: QBO
   * omits totalCount on `SELECT *`, so it is never relied on. `where` is the condition without WHERE, built with
   * `qboQuery` so its values are escaped. Results come in QBO's default order (by Id). A long read (the drift
   * audit's) passes `throttledRetries`: a page QBO throttles is asked for again after the pause QBO names (or 2, 4,
   * 8… s), instead of the whole read starting over.
   */
  async *queryAll<E extends QboEntityName>(
    entity: E,
    where?: string,
    pageSize: number = maxPageSize,
    throttledRetries = 0,
  ): AsyncGenerator<QueryPage<EntityRecord<E>>, void, undefined> {
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > maxPageSize) {
      throw new QboUsageError(`pageSize must be 1 to ${maxPageSize}; got ${pageSize}.`);
    }
    const base = selectEverything(entity) + (where ? ` where ${where}` : '');
    for (let start = 1; ; start += pageSize) {
      const statement = `${base} startposition ${start} maxresults ${pageSize}`;
      const page = await patiently(() => this.query(statement, { entity }), throttledRetries);
      yield page;
      if (page.rows.length < pageSize) return;
    }
  }

  /** `POST /{entity}?requestid=…`. A retry with the same requestid gets the original answer, never a second object. */
  async create<E extends WritableEntity>(
    entity: E,
    body: EntityInput<E>,
    requestId: string,
  ): Promise<EntityRecord<E>> {
    checkRequestId(requestId, maxRequestIdLength);
    return this.entityCall(entity, { method: 'POST', path: `/${pathSegment(entity)}`, body, requestId });
  }

  /**
   * A sparse update, always: `sparse: true` is forced, because a full update sets every writable field that is
   * not sent to NULL (facts §4.1). The body carries the Id and SyncToken it was read at; an old SyncToken is a
   * 'stale-object' (5010): re-read, re-merge, and write again with a new requestid.
   */
  async update<E extends WritableEntity>(
    entity: E,
    body: EntityUpdate<E>,
    requestId: string,
  ): Promise<EntityRecord<E>> {
    requireIdAndSyncToken(body, `update of ${entity}`);
    checkRequestId(requestId, maxRequestIdLength);
    return this.entityCall(entity, {
      method: 'POST',
      path: `/${pathSegment(entity)}`,
      query: { operation: 'update' },
      body: { ...body, sparse: true },
      requestId,
    });
  }

  /** Voids a transaction: `?operation=void`, or for a Payment `?operation=update&include=void` (facts §1.2). */
  async void<E extends VoidableEntity>(
    entity: E,
    ref: IdAndSyncToken,
    requestId: string,
  ): Promise<EntityRecord<E>> {
    requireIdAndSyncToken(ref, `void of ${entity}`);
    checkRequestId(requestId, maxRequestIdLength);
    const query: Record<string, string> =
      entity === 'Payment' ? { operation: 'update', include: 'void' } : { operation: 'void' };
    return this.entityCall(entity, {
      method: 'POST',
      path: `/${pathSegment(entity)}`,
      query,
      body: voidBody(entity, ref),
      requestId,
    });
  }

  /** Hard-deletes a transaction (`?operation=delete`); QBO answers `{status: "Deleted", Id}`. */
  async delete(entity: DeletableEntity, ref: IdAndSyncToken, requestId: string): Promise<DeletedStub> {
    requireIdAndSyncToken(ref, `delete of ${entity}`);
    checkRequestId(requestId, maxRequestIdLength);
    const response = await this.transport.send({
      method: 'POST',
      path: `/${pathSegment(entity)}`,
      query: { operation: 'delete' },
      body: idAndSyncToken(ref),
      requestId,
    });
    const context = contextOf(response);
    const value = entityFromEnvelope(response.json, entity, context);
    return parseWith(deletedStubSchema, value, `the deleted ${entity}`, context);
  }

  /**
   * What changed since `changedSince` (at most 30 days back). Use the returned `time` as the next cursor; when an
   * entity is `capped`, some of its changes are missing: ask again with a shorter window.
   */
  async cdc<E extends QboEntityName>(entities: readonly E[], changedSince: Date): Promise<CdcResult<E>> {
    if (entities.length === 0) throw new QboUsageError('cdc needs at least one entity.');
    const response = await this.transport.send({
      method: 'GET',
      path: '/cdc',
      query: withCustomFields(entities, {
        entities: [...new Set(entities)].join(','),
        changedSince: formatChangedSince(changedSince),
      }),
    });
    return parseCdcResponse(entities, response.json, contextOf(response));
  }

  /** Up to 30 items in one call; each answers on its own, in the order given. */
  async batch(items: readonly BatchItem[], requestId: string): Promise<BatchResult[]> {
    const body = batchRequestBody(items);
    checkRequestId(requestId, maxBatchRequestIdLength);
    const response = await this.transport.send({ method: 'POST', path: '/batch', body, requestId });
    return parseBatchResponse(items, response.json, contextOf(response));
  }

  /**
   * `POST /{entity}/{id}/send[?sendTo=]`: QBO emails the form to `sendTo`, or to its BillEmail, and answers the form
   * with `EmailStatus: EmailSent` and `DeliveryInfo`. Not idempotent at QBO (no requestid): each call sends.
   */
  async send<E extends SalesFormEntity>(entity: E, id: string, sendTo?: string): Promise<EntityRecord<E>> {
    return this.entityCall(entity, {
      method: 'POST',
      path: `/${pathSegment(entity)}/${encodeURIComponent(id)}/send`,
      ...(sendTo !== undefined ? { query: { sendTo } } : {}),
      emptyBodyType: 'application/octet-stream',
    });
  }

  /** `GET /{entity}/{id}/pdf`: the form as QBO prints it. */
  async pdf(entity: SalesFormEntity, id: string): Promise<QboBinaryResponse> {
    return this.transport.sendForBytes({
      method: 'GET',
      path: `/${pathSegment(entity)}/${encodeURIComponent(id)}/pdf`,
      accept: 'application/pdf',
    });
  }

  /** `GET /companyinfo/{realmId}`. */
  async companyInfo(): Promise<CompanyInfo> {
    return this.entityCall('CompanyInfo', {
      method: 'GET',
      path: `/companyinfo/${encodeURIComponent(this.realmId)}`,
    });
  }

  /** `GET /preferences`: `CurrencyPrefs.MultiCurrencyEnabled` and `CurrencyPrefs.HomeCurrency.value` among others. */
  async preferences(): Promise<Preferences> {
    return this.entityCall('Preferences', { method: 'GET', path: '/preferences' });
  }

  private async entityCall<E extends QboEntityName>(
    entity: E,
    request: QboHttpRequest,
  ): Promise<EntityRecord<E>> {
    const response = await this.transport.send({
      ...request,
      query: withCustomFields([entity], request.query),
    });
    const context = contextOf(response);
    const value = entityFromEnvelope(response.json, entity, context);
    return parseWith(schemaOf(entity), value, `the ${entity}`, context);
  }
}

/** Runs `call`, and again after a pause each time QBO throttles it, up to `retries` times. */
export async function patiently<T>(call: () => Promise<T>, retries: number): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof QboApiError && error.kind === 'throttled') || attempt >= retries) throw error;
      const pauseMs = error.retryAfterMs ?? 2_000 * 2 ** attempt;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}

function contextOf(response: { status: number; intuitTid?: string }): ResponseContext {
  return { status: response.status, intuitTid: response.intuitTid };
}

/**
 * Customers are always read (and answered after a write) with every custom field, typed: without
 * `include=enhancedAllCustomFields` QBO shows none on names, and a value missing from a read would look cleared.
 */
function withCustomFields(
  entities: readonly string[],
  query: Record<string, string> | undefined,
): Record<string, string> | undefined {
  if (!entities.some((entity) => entity.toLowerCase() === 'customer')) return query;
  const include = [query?.include, 'enhancedAllCustomFields'].filter(Boolean).join(',');
  return { ...query, include };
}
