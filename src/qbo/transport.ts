/**
 * One HTTP exchange with QBO's Accounting API for one realm: the URL (`/v3/company/{realmId}/…?minorversion`,
 * plus `requestid` on writes), the headers, a timeout on every attempt, one token refresh and replay after a 401,
 * and every failure turned into a QboApiError. It never logs: nothing here may leak a token.
 */
import { QboApiError, badResponse, classifyFault, transportError } from './errors';
import { parseFaultJson } from './fault-body';
import type { RequestBudget } from './budget';
import type { TokenSource } from './token-source';

export interface TransportOptions {
  baseUrl: string;
  realmId: string;
  minorVersion: number;
  timeoutMs: number;
  tokens: TokenSource;
  fetch: typeof fetch;
  /** Per-realm limits taken before each attempt; none for one-off calls such as the connect flow's reads. */
  budget?: RequestBudget;
  /** Told of every request's outcome, for metrics; it gets no realm, id or token. */
  onRequest?: (sample: QboRequestSample) => void;
}

/** One request as metrics see it: the path with the realm and every id left out, and how it ended. */
export interface QboRequestSample {
  method: 'GET' | 'POST';
  /** e.g. `/customer/:id`, `/query`, `/cdc`, `/batch`. */
  path: string;
  /** `ok`, or the QboApiError's kind (`throttled`, `validation`, `timeout`…). */
  outcome: string;
  /** The Fault's error code (e.g. `6240`), when QBO sent one. */
  faultCode?: string;
  /** Time on the wire, over every attempt (the replay after a 401 included), budget waits excluded. */
  durationMs: number;
}

export interface QboHttpRequest {
  method: 'GET' | 'POST';
  /** Relative to `/v3/company/{realmId}`, starting with `/`. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** Sent as `requestid` so QBO replays the first answer to a retried write instead of applying it twice. */
  requestId?: string;
  /** Without a body: the Content-Type of an empty one (`/send` wants `application/octet-stream`). */
  emptyBodyType?: string;
  /** What to ask for instead of JSON (`application/pdf`); the answer is then bytes. */
  accept?: string;
}

/** A successful (2xx) answer that is not JSON, such as a PDF. */
export interface QboBinaryResponse {
  status: number;
  contentType: string;
  bytes: Buffer;
}

/** A successful (2xx) answer, parsed as JSON. */
export interface QboHttpResponse {
  status: number;
  json: unknown;
  intuitTid?: string;
}

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  bytes: Buffer;
}

export class QboTransport {
  constructor(private readonly options: TransportOptions) {}

  async send(request: QboHttpRequest): Promise<QboHttpResponse> {
    return this.reported(request, async (onWire) => interpret(await this.exchange(request, onWire)));
  }

  /** For answers that are not JSON: the bytes of a 2xx; a fault (JSON, XML or HTML) becomes a QboApiError. */
  async sendForBytes(request: QboHttpRequest & { accept: string }): Promise<QboBinaryResponse> {
    return this.reported(request, async (onWire) => {
      const response = await this.exchange(request, onWire);
      const contentType = response.headers.get('content-type') ?? '';
      // A fault may come back as JSON whatever was asked for; so may a 200 that is no PDF at all.
      if (response.status < 200 || response.status > 299 || /json|xml/i.test(contentType))
        interpret(response);
      if (!contentType.toLowerCase().startsWith(request.accept.toLowerCase()))
        throw badResponse(`the answer is ${contentType || 'untyped'}, not ${request.accept}`, '', {
          status: response.status,
          intuitTid: response.headers.get('intuit_tid') ?? undefined,
        });
      return { status: response.status, contentType, bytes: response.bytes };
    });
  }

  /** Runs one request, reporting its outcome and time on the wire. */
  private async reported<T>(
    request: QboHttpRequest,
    call: (onWire: { ms: number }) => Promise<T>,
  ): Promise<T> {
    const onWire = { ms: 0 };
    try {
      const answer = await call(onWire);
      this.report(request, onWire.ms, 'ok');
      return answer;
    } catch (error) {
      if (error instanceof QboApiError) this.report(request, onWire.ms, error.kind, error.code);
      throw error;
    }
  }

  private async exchange(request: QboHttpRequest, onWire: { ms: number }): Promise<RawResponse> {
    const url = this.url(request);
    const { tokens } = this.options;
    let token = await tokens.accessToken();
    let response = await this.attempt(url, request, token, onWire);
    if (response.status === 401) {
      // Once: the same request, the same requestid (the gateway refused it before the service saw it).
      token = await tokens.refreshAfterUnauthorized(token);
      response = await this.attempt(url, request, token, onWire);
    }
    return response;
  }

  private report(request: QboHttpRequest, durationMs: number, outcome: string, faultCode?: string): void {
    this.options.onRequest?.({
      method: request.method,
      path: pathTemplate(request.path),
      outcome,
      ...(faultCode !== undefined ? { faultCode } : {}),
      durationMs,
    });
  }

  url(request: QboHttpRequest): string {
    const base = this.options.baseUrl.replace(/\/+$/, '');
    const search = new URLSearchParams({ minorversion: String(this.options.minorVersion), ...request.query });
    if (request.requestId !== undefined) search.set('requestid', request.requestId);
    return `${base}/v3/company/${encodeURIComponent(this.options.realmId)}${request.path}?${search.toString()}`;
  }

  private async attempt(
    url: string,
    request: QboHttpRequest,
    token: string,
    onWire: { ms: number },
  ): Promise<RawResponse> {
    const headers: Record<string, string> = {
      Accept: request.accept ?? 'application/json',
      Authorization: `Bearer ${token}`,
    };
    let body: string | undefined;
    if (request.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(request.body);
    } else if (request.emptyBodyType !== undefined) {
      headers['Content-Type'] = request.emptyBodyType;
      body = '';
    }
    const release = await this.options.budget?.acquire();
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    const fetchImpl = this.options.fetch;
    const startedAt = performance.now();
    try {
      const response = await fetchImpl(url, { method: request.method, headers, body, signal });
      // The body is read under the same deadline: a stalled body is a timeout too.
      const bytes = Buffer.from(await response.arrayBuffer());
      return { status: response.status, headers: response.headers, text: bytes.toString('utf8'), bytes };
    } catch (error) {
      throw transportError(error, signal.aborted, this.options.timeoutMs);
    } finally {
      onWire.ms += performance.now() - startedAt;
      release?.();
    }
  }
}

function interpret(response: RawResponse): QboHttpResponse {
  const intuitTid = response.headers.get('intuit_tid') ?? undefined;
  if (response.status < 200 || response.status > 299) {
    throw classifyFault(response.status, response.text, response.headers);
  }
  let json: unknown;
  try {
    json = JSON.parse(response.text) as unknown;
  } catch (error) {
    // Some QBO errors arrive as XML whatever was negotiated (facts §1.3), in principle even with a 200.
    if (/<(?:\w+:)?Fault\b/.test(response.text)) {
      throw classifyFault(response.status, response.text, response.headers);
    }
    throw badResponse('the body is not JSON', shortPreview(response.text), {
      status: response.status,
      intuitTid,
      cause: error,
    });
  }
  if (parseFaultJson(json) !== undefined) throw classifyFault(response.status, json, response.headers);
  return { status: response.status, json, intuitTid };
}

/** A request path without ids or the realm: `/customer/123` → `/customer/:id`, `/companyinfo/9341…` likewise. */
export function pathTemplate(path: string): string {
  return path.replace(/^(\/[^/]+)\/.+$/, '$1/:id').toLowerCase();
}

function shortPreview(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  return collapsed.length > 120 ? `${collapsed.slice(0, 119)}…` : collapsed;
}
