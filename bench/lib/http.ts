/** The slice of QBO's JSON bodies the benchmark looks at; everything else is passed through untouched. */
export interface QboRow {
  Id: string;
  SyncToken: string;
  UnitPrice?: number;
}

export interface QboBody {
  Customer?: QboRow;
  Invoice?: QboRow;
  QueryResponse?: { Customer?: QboRow[]; Invoice?: QboRow[]; Item?: QboRow[]; totalCount?: number };
  /** The API's own fault envelope (validation, stale object, ...). */
  Fault?: { Error: { code: string }[] };
  /** The gateway's lower-case envelope (401, 403, 429). */
  fault?: { error: { code: string }[] };
  realmId?: string;
  access_token?: string;
}

export interface HttpReply<T = QboBody> {
  /** 0 when the request failed without a response (timeout, reset). */
  status: number;
  ms: number;
  body: T | undefined;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  token?: string;
  body?: unknown;
  timeoutMs?: number;
}

/** One call through the global fetch (undici, keep-alive); never throws, so a failure is just another status. */
export async function send<T = QboBody>(request: HttpRequest): Promise<HttpReply<T>> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (request.token) headers.Authorization = `Bearer ${request.token}`;
  if (request.body !== undefined) headers['Content-Type'] = 'application/json';
  const started = performance.now();
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(request.timeoutMs ?? 5_000),
    });
    // Latency includes reading the whole body: that is what a client waits for.
    const text = await response.text();
    return { status: response.status, ms: performance.now() - started, body: parseBody<T>(text) };
  } catch {
    return { status: 0, ms: performance.now() - started, body: undefined };
  }
}

function parseBody<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** The error code of either fault envelope, e.g. '5010' (stale object) or '3001' (throttled). */
export function faultCode(body: QboBody | undefined): string | undefined {
  return body?.Fault?.Error[0]?.code ?? body?.fault?.error[0]?.code;
}

/** Admin API calls (outside Intuit's gateway, so not throttled); a failure here means the setup is broken. */
export async function admin<T = QboBody>(
  baseUrl: string,
  method: HttpRequest['method'],
  path: string,
  body?: unknown,
): Promise<T | undefined> {
  const reply = await send<T>({ method, url: `${baseUrl}/__admin${path}`, body, timeoutMs: 60_000 });
  if (reply.status < 200 || reply.status >= 300) {
    throw new Error(`admin ${method} ${path} failed with ${reply.status}`);
  }
  return reply.body;
}
