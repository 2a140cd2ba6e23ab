import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../src/emulator/clock';
import { QboEmulator, type EmulatorOptions } from '../../src/emulator/emulator';
import { listenEmulator, type RunningEmulator } from '../../src/emulator/http/app';

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

/** A deliberately generic HTTP client: what any QBO client library would send, nothing emulator-specific. */
export async function http(
  method: string,
  url: string,
  options: { body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  // Seeding a company of thousands answers in a second alone, and in well over ten under a whole suite's load.
  const response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(60_000) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** An API client for one realm, authenticated with a bearer token, speaking QBO's paths. */
export class QboClient {
  constructor(
    readonly baseUrl: string,
    readonly realmId: string,
    public accessToken: string,
  ) {}

  url(path: string, query: Record<string, string> = {}): string {
    const search = new URLSearchParams({ minorversion: '75', ...query });
    return `${this.baseUrl}/v3/company/${this.realmId}${path}?${search.toString()}`;
  }

  request(
    method: string,
    path: string,
    options: {
      query?: Record<string, string>;
      body?: unknown;
      headers?: Record<string, string>;
      rawBody?: string;
    } = {},
  ) {
    return http(method, this.url(path, options.query), {
      body: options.body,
      rawBody: options.rawBody,
      headers: { Authorization: `Bearer ${this.accessToken}`, ...options.headers },
    });
  }

  read(entity: string, id: string) {
    return this.request('GET', `/${entity.toLowerCase()}/${id}`);
  }

  write(entity: string, body: unknown, query: Record<string, string> = {}) {
    return this.request('POST', `/${entity.toLowerCase()}`, { body, query });
  }

  query(statement: string) {
    return this.request('GET', '/query', { query: { query: statement } });
  }

  /** Creates and returns the entity, failing the test with QBO's own fault text if it was refused. */
  async create(entity: string, body: unknown): Promise<any> {
    const result = await this.write(entity, body);
    if (result.status !== 200) throw new Error(`create ${entity} failed: ${result.status} ${result.text}`);
    return result.json[entity];
  }
}

export interface TestEmulator {
  url: string;
  clock: ManualClock;
  /** The emulator's state, for what its admin API does not show (e.g. whether an armed fault fired). */
  state: QboEmulator;
  admin(method: string, path: string, body?: unknown): Promise<HttpResult>;
  /** Creates a company over the admin API and returns an API client holding a fresh token for it. */
  company(input?: Record<string, unknown>): Promise<QboClient>;
  close(): Promise<void>;
}

/**
 * An emulator in this process on a free loopback port, on a manual clock (`runningClock`: one that also moves with
 * real time); tests talk to it over HTTP only.
 */
export async function startTestEmulator(
  options: EmulatorOptions & { startAt?: Date; runningClock?: boolean } = {},
): Promise<TestEmulator> {
  const clock = new ManualClock(options.startAt ?? '2026-03-02T17:00:00Z', options.runningClock);
  // Intuit's real throttles would slow every suite down; the rate-limit tests set them explicitly.
  const limits = { perSecond: 10_000, perMinute: 100_000, ...options.limits };
  const emulator = new QboEmulator({
    clock,
    webhookTimeFactor: 0.001,
    webhookBatchWindowMs: 20,
    ...options,
    limits,
  });
  const running: RunningEmulator = await listenEmulator(emulator);
  const admin = (method: string, path: string, body?: unknown) =>
    http(method, `${running.url}/__admin${path}`, { body });
  return {
    url: running.url,
    clock,
    state: emulator,
    admin,
    async company(input = {}) {
      const created = await admin('POST', '/companies', { companyName: 'Test Company', ...input });
      if (created.status !== 201) throw new Error(`company creation failed: ${created.text}`);
      const tokens = await admin('POST', `/companies/${created.json.realmId}/tokens`, {});
      return new QboClient(running.url, created.json.realmId, tokens.json.access_token);
    },
    close: () => running.close(),
  };
}

/** A sales line for item 2 ("Hours"), with Qty and UnitPrice when given, and an Id when updating. */
export function salesLine(amount: number, options: { qty?: number; unitPrice?: number; id?: string } = {}) {
  return {
    ...(options.id === undefined ? {} : { Id: options.id }),
    DetailType: 'SalesItemLineDetail',
    Amount: amount,
    SalesItemLineDetail: {
      ItemRef: { value: '2' },
      ...(options.qty === undefined ? {} : { Qty: options.qty, UnitPrice: options.unitPrice }),
    },
  };
}

export interface ReceivedWebhook {
  body: string;
  /** performance.now() when the body had fully arrived. */
  at: number;
}

export interface WebhookReceiver {
  url: string;
  /** Every POST in arrival order, whatever it was answered. */
  requests: ReceivedWebhook[];
  close(): Promise<void>;
}

/** A webhook endpoint on a free loopback port; `status` picks each answer (200 unless told otherwise). */
export async function startWebhookReceiver(
  status: (request: ReceivedWebhook, index: number) => number = () => 200,
): Promise<WebhookReceiver> {
  const requests: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { body: Buffer.concat(chunks).toString('utf8'), at: performance.now() };
      const index = requests.push(request) - 1;
      res.writeHead(status(request, index)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
