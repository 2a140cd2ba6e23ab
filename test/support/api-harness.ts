import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import pino, { type Logger } from 'pino';
import { createAccount, issueApiKey } from '../../src/accounts/keys';
import { createApi } from '../../src/api/api';
import { answerUnparsableRequests, holdIdleConnections, createApp } from '../../src/api/app';
import { createQuickBooksWebhookRouter, wakeConnections } from '../../src/api/quickbooks-webhook';
import { tracingClientInterceptors, type Tracing } from '../../src/observability/tracing';
import { KeyRing } from '../../src/security/encryption';
import { OutboundGuard, type OutboundPolicy } from '../../src/security/outbound-url';
import { approveConsent } from '../../src/stack/demo';
import { QboClient, startTestEmulator, type TestEmulator } from './emulator';
import { openTestDatabase, temporalAddress, type TestDatabase } from './env';
import { startTestWorker, testQboAccess } from './sync-harness';

export interface TestAccount {
  id: string;
  key: string;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  json: any;
}

export interface ApiHarness {
  url: string;
  emulator: TestEmulator;
  db: TestDatabase;
  temporal: Client;
  keys: KeyRing;
  /** The task queue of the harness's worker. */
  taskQueue: string;
  /**
   * The configuration a process of ours (src/config.ts) needs to work on this harness: its database, Temporal and
   * task queue, the emulator, the token keys and secrets, and the API's public address.
   */
  serviceEnv: NodeJS.ProcessEnv;
  account: TestAccount;
  newAccount(name?: string): Promise<TestAccount>;
  request(
    method: string,
    path: string,
    options?: {
      key?: string | null;
      body?: unknown;
      headers?: Record<string, string>;
      /** How long the request may take; 15 s unless a test sends a big batch. */
      timeoutMs?: number;
    },
  ): Promise<ApiResponse>;
  /**
   * Creates an emulator company and connects it through the real OAuth flow; returns the connection JSON.
   * `body` adds to the connect request's.
   */
  connect(
    account: TestAccount,
    options?: {
      company?: Record<string, unknown>;
      backfill?: boolean;
      previewFirst?: boolean;
      /** Runs once the emulator company exists, before it is connected (to arm its faults, say). */
      beforeConnect?: (realmId: string) => Promise<void>;
      /** Added to the connect request's body (settings chosen at connect). */
      body?: Record<string, unknown>;
    },
  ): Promise<any>;
  /** A QBO API client for a connected company, as a bookkeeper's other app would use it. */
  qboFor(realmId: string): Promise<QboClient>;
  close(): Promise<void>;
}

const verifierToken = 'verifier-for-api-tests';

/**
 * The product as the CRM sees it: the full API (auth, routes, OpenAPI, Intuit webhooks) on a loopback port, a real
 * worker, the database, Temporal and the emulator, all over real HTTP. Responses are checked against the spec. The
 * API and the worker reach URLs they are given as local development does (tests' endpoints listen on loopback),
 * unless `outbound` says otherwise. `startAt` runs QuickBooks' clock and the API's from that instant instead of now,
 * for a test whose answer depends on the day.
 */
export async function startApiHarness(
  options: { outbound?: OutboundPolicy; startAt?: Date; tracing?: Tracing; log?: Logger } = {},
): Promise<ApiHarness> {
  const tokenKey = randomBytes(32);
  const keys = new KeyRing([{ version: 'v1', key: tokenKey }]);
  const shift = options.startAt === undefined ? 0 : options.startAt.getTime() - Date.now();
  const now = () => new Date(Date.now() + shift);
  const emulator = await startTestEmulator({ startAt: now(), runningClock: true });
  const db = await openTestDatabase('api');
  const conn = db.mongoose.connection;
  // As the API's own client: signals and starts carry the request's trace.
  const temporal = new Client({
    connection: await Connection.connect({ address: temporalAddress() }),
    interceptors: tracingClientInterceptors(),
  });
  const log = options.log ?? pino({ level: 'silent' });
  const stateSecret = 'state-secret-for-api-tests';
  const embedSecret = 'embed-secret-for-api-tests';
  // The redirect URI names our own port, so the server listens first and gets its app once that is known.
  const server: Server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const access = testQboAccess(conn, emulator.url, keys, `${baseUrl}/v1/oauth/quickbooks/callback`);
  const outbound = new OutboundGuard(options.outbound ?? { allowPrivateNetworks: true });
  const worker = await startTestWorker(conn, access, {
    outbound,
    ...(options.tracing ? { tracing: options.tracing } : {}),
  });
  const api = createApi(
    {
      db: () => Promise.resolve(conn),
      temporal: () => Promise.resolve(temporal),
      qbo: access.settings,
      log,
      stateSecret,
      embedSecret,
      taskQueue: worker.taskQueue,
      outbound,
      // As NODE_ENV=test: return origins must be https (the API's own origin is always allowed).
      allowLoopbackHttpReturns: false,
      dependencyTimeoutMs: 3000,
      now,
    },
    { validateResponses: true, rateLimit: { perMinute: 6000, burst: 1000 }, version: 'test' },
  );
  const webhooks = createQuickBooksWebhookRouter({
    verifierToken,
    db: () => Promise.resolve(conn),
    log,
    onStored: wakeConnections(
      () => Promise.resolve(conn),
      () => Promise.resolve(temporal),
    ),
  });
  server.on('request', createApp({ readinessChecks: [], log, routers: [...api.routers, webhooks] }));
  answerUnparsableRequests(server);
  holdIdleConnections(server);

  const newAccount = async (name = 'Test CRM account'): Promise<TestAccount> => {
    const account = await createAccount(conn, name);
    const { key } = await issueApiKey(conn, account._id, 'tests');
    return { id: account._id, key };
  };
  const account = await newAccount('Primary test account');

  const request: ApiHarness['request'] = async (method, path, options = {}) => {
    const key = options.key === undefined ? account.key : options.key;
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      ...(options.body !== undefined
        ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }
        : {}),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    const text = await response.text();
    let json: unknown = text;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON (an HTML page or an empty redirect): the text is what the test gets.
    }
    return { status: response.status, headers: response.headers, json };
  };

  const qboFor = async (realmId: string): Promise<QboClient> => {
    const tokens = await emulator.admin('POST', `/companies/${realmId}/tokens`, {});
    return new QboClient(emulator.url, realmId, tokens.json.access_token);
  };

  const connect: ApiHarness['connect'] = async (who, options = {}) => {
    const company = await emulator.admin('POST', '/companies', { companyName: 'API Co', ...options.company });
    const realmId: string = company.json.realmId;
    await options.beforeConnect?.(realmId);
    await emulator.admin('PUT', `/companies/${realmId}/webhook`, {
      url: `${baseUrl}/v1/webhooks/quickbooks`,
      verifierToken,
    });
    const started = await request('POST', '/v1/connections/quickbooks', {
      key: who.key,
      body: {
        backfill: options.backfill ?? true,
        ...(options.previewFirst ? { previewFirst: true } : {}),
        ...options.body,
      },
    });
    if (started.status !== 201) throw new Error(`connect start failed: ${JSON.stringify(started.json)}`);
    // The user picks the company on the consent page and approves, as `npm start`'s demo does.
    const callback = new URL(await approveConsent(started.json.authorizeUrl, realmId));
    const done = await request('GET', `${callback.pathname}${callback.search}`, { key: null });
    if (done.status !== 200) throw new Error(`callback failed: ${JSON.stringify(done.json)}`);
    return done.json;
  };

  const serviceEnv: NodeJS.ProcessEnv = {
    ...process.env,
    MONGODB_URI: db.uri,
    TEMPORAL_ADDRESS: temporalAddress(),
    TEMPORAL_TASK_QUEUE: worker.taskQueue,
    QBO_API_BASE_URL: emulator.url,
    QBO_OAUTH_BASE_URL: emulator.url,
    QBO_REDIRECT_URI: access.settings.oauth.redirectUri,
    TOKEN_ENCRYPTION_KEYS: `v1:${tokenKey.toString('base64')}`,
    OAUTH_STATE_SECRET: stateSecret,
    EMBED_TOKEN_SECRET: embedSecret,
  };

  return {
    url: baseUrl,
    emulator,
    db,
    temporal,
    keys,
    taskQueue: worker.taskQueue,
    serviceEnv,
    account,
    newAccount,
    request,
    connect,
    qboFor,
    async close() {
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      });
      await worker.close();
      await outbound.close();
      await temporal.connection.close();
      await emulator.close();
      await db.close();
    },
  };
}
