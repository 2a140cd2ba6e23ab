/**
 * Every way a QBO call fails, as one error type with a `kind` the sync engine can act on and a `retryable` flag
 * that says whether the same request may simply be sent again (with the same requestid, so a write is never
 * applied twice).
 */
import { parseFaultBody, type FaultError, type ParsedFault } from './fault-body';

export type QboErrorKind =
  /** 5010: the SyncToken is old. NOT retryable as-is: re-read, re-merge, and write with the new SyncToken. */
  | 'stale-object'
  /** 6240: DisplayName is taken (by a Customer, Vendor or Employee, active or not). */
  | 'duplicate-name'
  /** 6140: DocNumber is taken within the entity. */
  | 'duplicate-doc-number'
  /** 610 (an inactive reference or a deleted transaction), or an HTTP 404. */
  | 'not-found'
  /** 2500: a reference to an Id that does not exist. */
  | 'invalid-reference'
  /** Any other business or request error (2xxx, 4xxx, 6xxx, other 400s). Fix the request; do not retry. */
  | 'validation'
  /** 429 / 3001. Back off (Retry-After when sent, exponential otherwise). */
  | 'throttled'
  /** 401 / 3200 / 100, after the one token refresh the client already tried. */
  | 'unauthorized'
  /** 403 / 3100 (token of another realm, or access withdrawn) and 120 (user no longer an admin). */
  | 'forbidden'
  /** 5xx, or a SystemFault 10000+. */
  | 'server'
  /** The connection failed or was cut; a write may or may not have been applied (resend with the same requestid). */
  | 'network'
  /** No answer within `timeoutMs`; as with 'network', a write may have been applied. */
  | 'timeout'
  /** The answer was not what QBO's contract says (unparsable, or failed its schema). Never crashes a worker. */
  | 'bad-response';

const retryableKinds: ReadonlySet<QboErrorKind> = new Set(['throttled', 'server', 'network', 'timeout']);

export interface QboApiErrorInit {
  kind: QboErrorKind;
  /** The HTTP status; 0 when no response arrived (network, timeout). */
  status: number;
  code?: string;
  element?: string;
  detail?: string;
  faultType?: string;
  retryAfterMs?: number;
  intuitTid?: string;
  /** Every error of the Fault; the fields above come from the first. */
  errors?: readonly FaultError[];
  cause?: unknown;
}

export class QboApiError extends Error {
  override readonly name = 'QboApiError';
  readonly kind: QboErrorKind;
  readonly status: number;
  readonly code?: string;
  readonly element?: string;
  readonly detail?: string;
  readonly faultType?: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly intuitTid?: string;
  readonly errors: readonly FaultError[];

  constructor(message: string, init: QboApiErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.status = init.status;
    this.code = init.code;
    this.element = init.element;
    this.detail = init.detail;
    this.faultType = init.faultType;
    this.retryable = retryableKinds.has(init.kind);
    this.retryAfterMs = init.retryAfterMs;
    this.intuitTid = init.intuitTid;
    this.errors = init.errors ?? [];
  }
}

/** A programming error in how the client was called (too many batch items, a missing SyncToken, …). */
export class QboUsageError extends Error {
  override readonly name = 'QboUsageError';
}

export type HeadersLike = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Turns an error response into a QboApiError. Pure: give it the status, the raw body (or parsed JSON) and the
 * response headers. `now` is only used to turn an HTTP-date Retry-After into a delay.
 */
export function classifyFault(
  status: number,
  body: unknown,
  headers: HeadersLike = {},
  now: number = Date.now(),
): QboApiError {
  return errorFromFault(status, parseFaultBody(body), headers, now);
}

export function errorFromFault(
  status: number,
  fault: ParsedFault,
  headers: HeadersLike = {},
  now: number = Date.now(),
): QboApiError {
  const first = fault.errors[0] ?? {};
  const kind = kindOf(status, first.code);
  const retryAfter = headerValue(headers, 'retry-after');
  const summary = [first.message, first.detail].filter(Boolean).join(': ') || `HTTP ${status}`;
  return new QboApiError(
    `QBO ${kind} (HTTP ${status}${first.code ? `, code ${first.code}` : ''}): ${summary}`,
    {
      kind,
      status,
      code: first.code,
      element: first.element,
      detail: first.detail,
      faultType: fault.faultType,
      retryAfterMs: retryAfter === undefined ? undefined : parseRetryAfter(retryAfter, now),
      intuitTid: headerValue(headers, 'intuit_tid'),
      errors: fault.errors,
    },
  );
}

const kindsByCode: Readonly<Record<string, QboErrorKind>> = {
  '5010': 'stale-object',
  '6240': 'duplicate-name',
  '6140': 'duplicate-doc-number',
  '610': 'not-found',
  '2500': 'invalid-reference',
  '3001': 'throttled',
  '3100': 'forbidden',
  '120': 'forbidden',
  '3200': 'unauthorized',
  '100': 'unauthorized',
};

/** The code decides when QBO gave a known one (a 403 carrying 3001 is pre-2017 throttling); otherwise the status. */
export function kindOf(status: number, code: string | undefined): QboErrorKind {
  const byCode = code === undefined ? undefined : kindsByCode[code];
  if (byCode) return byCode;
  const numeric = code === undefined ? NaN : Number(code);
  if (numeric >= 10000) return 'server';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 429) return 'throttled';
  if (status === 404) return 'not-found';
  if (status >= 500) return 'server';
  return 'validation';
}

/** `Retry-After` as delta-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when unreadable. */
export function parseRetryAfter(value: string, now: number = Date.now()): number | undefined {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

function headerValue(headers: HeadersLike, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    if (value === undefined) return undefined;
    return typeof value === 'string' ? value : value.join(', ');
  }
  return undefined;
}

/** No response arrived: the connection failed, was cut, or our timeout fired. */
export function transportError(cause: unknown, timedOut: boolean, timeoutMs: number): QboApiError {
  if (timedOut || (cause instanceof Error && cause.name === 'TimeoutError')) {
    return new QboApiError(`QBO timeout: no complete answer within ${timeoutMs} ms`, {
      kind: 'timeout',
      status: 0,
      cause,
    });
  }
  const reason = describeCause(cause);
  return new QboApiError(`QBO network error: ${reason}`, {
    kind: 'network',
    status: 0,
    detail: reason,
    cause,
  });
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause instanceof Error ? cause.cause : undefined;
  const code = inner && 'code' in inner && typeof inner.code === 'string' ? ` [${inner.code}]` : '';
  return inner ? `${cause.message}: ${inner.message}${code}` : cause.message;
}

/** The answer arrived but broke QBO's contract. Not retryable: sending the same request gets the same answer. */
export function badResponse(
  what: string,
  detail: string,
  context: { status: number; intuitTid?: string; cause?: unknown },
): QboApiError {
  return new QboApiError(`QBO bad-response (HTTP ${context.status}): ${what}`, {
    kind: 'bad-response',
    status: context.status,
    detail,
    intuitTid: context.intuitTid,
    cause: context.cause,
  });
}
