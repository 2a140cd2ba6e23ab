import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type * from './schema';
export { verifyWebhookSignature, signatureHeader } from './webhooks';

/** A typed client of every `/v1` route: `client.GET('/v1/connections/{id}', { params: { path: { id } } })`. */
export type QboSyncClient = Client<paths>;

export interface QboSyncClientOptions extends ClientOptions {
  /** An API key of the CRM account (`qbs_…`). Leave it out in a browser signed in with a session cookie. */
  apiKey?: string;
  /** Bound on each request, from sending it to the end of the answer's headers; 15 s unless given. */
  timeoutMs?: number;
}

/** The problem JSON every error answer carries: a stable `code`, and the `field` at fault when there is one. */
export type Problem = components['schemas']['Problem'];

/** An answer that was not a success, as an exception: for code that prefers `throw` to checking `error`. */
export class QboSyncError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem ? `${problem.code}: ${problem.detail}` : `HTTP ${status}`);
    this.name = 'QboSyncError';
  }
}

export function createQboSyncClient(options: QboSyncClientOptions = {}): QboSyncClient {
  const { apiKey, timeoutMs = 15_000, ...clientOptions } = options;
  const client = createClient<paths>(clientOptions);
  const middleware: Middleware = {
    onRequest({ request }) {
      if (apiKey) request.headers.set('authorization', `Bearer ${apiKey}`);
      const signal = AbortSignal.any([request.signal, AbortSignal.timeout(timeoutMs)]);
      return new Request(request, { signal });
    },
  };
  client.use(middleware);
  return client;
}

/**
 * The data of a successful answer, or a `QboSyncError` carrying the problem:
 * `const connection = await ok(client.GET('/v1/connections/{id}', { params: { path: { id } } }))`.
 */
export async function ok<T>(answer: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await answer;
  if (response.ok) return data as T;
  throw new QboSyncError(response.status, isProblem(error) ? error : undefined);
}

function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && 'code' in value && 'status' in value;
}
