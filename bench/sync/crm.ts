import type { Mongoose } from 'mongoose';
import { createAccount, issueApiKey } from '../../src/accounts/keys';
import type { BenchStack } from './stack';
import { approveConsent } from '../../src/stack/demo';

export interface ApiReply<T> {
  status: number;
  json: T;
  ms: number;
}

export interface BenchAccount {
  id: string;
  key: string;
}

/** The slice of the API's Connection JSON the benchmarks read. */
export interface ConnectionJson {
  id: string;
  realmId: string;
  backfill: { status: 'running' | 'done'; counts: Record<string, number> } | null;
  settings: { pollIntervalSeconds: number };
}

export interface FeedItem {
  qboCustomerId: string;
  crmContactId: string | null;
  active: boolean;
  fields: Record<string, unknown>;
}

/** What a CRM does with qbo-sync: API keys, the webhook endpoint, the OAuth connect flow, contact PUTs. */
export class Crm {
  constructor(private readonly stack: BenchStack) {}

  async newAccount(name: string): Promise<BenchAccount> {
    const db: Mongoose = this.stack.db;
    const account = await createAccount(db.connection, name);
    const { key } = await issueApiKey(db.connection, account._id, 'bench');
    return { id: account._id, key };
  }

  async request<T>(
    account: BenchAccount | null,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiReply<T>> {
    const started = performance.now();
    const response = await fetch(`${this.stack.apiUrl}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(account ? { authorization: `Bearer ${account.key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return {
      status: response.status,
      json: (text ? JSON.parse(text) : undefined) as T,
      ms: performance.now() - started,
    };
  }

  /**
   * A setup call, made as a CRM makes it: a 5xx or a timeout is retried (1, 2, 4 s apart) before it counts as a
   * failure. The API's calls are idempotent (PUTs, or POSTs whose effect is keyed), so a retry is safe. Measured
   * requests use `request`, which never retries.
   */
  async ok<T>(account: BenchAccount | null, method: string, path: string, body?: unknown): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      let reply: ApiReply<T> | undefined;
      let failure: unknown;
      try {
        reply = await this.request<T>(account, method, path, body);
      } catch (error) {
        failure = error;
      }
      if (reply && reply.status < 300) return reply.json;
      if (reply && reply.status < 500)
        throw new Error(`${method} ${path} answered ${reply.status}: ${JSON.stringify(reply.json)}`);
      if (attempt === 4)
        throw new Error(
          `${method} ${path} ${reply ? `answered ${reply.status}: ${JSON.stringify(reply.json)}` : `failed: ${String(failure)}`}`,
        );
      await sleep(1000 * 2 ** (attempt - 1));
    }
  }

  /** Points the account's events at the bench's CRM receiver; the secret is shown once, and kept there. */
  async subscribe(account: BenchAccount): Promise<void> {
    const { receiver } = this.stack;
    const { secret } = await this.ok<{ secret?: string }>(account, 'PUT', '/v1/webhook-endpoint', {
      url: `${receiver.url}/crm/${account.id}`,
    });
    if (!secret) throw new Error('no webhook secret returned');
    receiver.register(account.id, secret);
  }

  /**
   * "Connect to QuickBooks" as a user does it: the API's authorize URL, the emulator's consent page approved for
   * `realmId`, and Intuit's redirect to the API's callback, which stores the connection and starts its workflow.
   */
  async connect(account: BenchAccount, realmId: string, backfill: boolean): Promise<ConnectionJson> {
    const started = await this.ok<{ authorizeUrl: string }>(account, 'POST', '/v1/connections/quickbooks', {
      backfill,
    });
    const location = await approveConsent(started.authorizeUrl, realmId);
    const callback = new URL(location);
    return this.ok<ConnectionJson>(null, 'GET', `${callback.pathname}${callback.search}`);
  }
}

/** The emulator's admin API over HTTP, as the tests and the emulator benchmark use it. */
export async function emulatorAdmin<T>(
  stack: BenchStack,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${stack.emulatorUrl}/__admin${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`admin ${method} ${path} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface CompanyJson {
  realmId: string;
  counts: Record<string, number>;
}

/** A company seeded through the admin API; returns its realm and record counts, and how long seeding took. */
export async function seededCompany(
  stack: BenchStack,
  name: string,
  seed: { customers: number; transactions: number },
): Promise<CompanyJson & { seedMs: number }> {
  const started = performance.now();
  const company = await emulatorAdmin<CompanyJson>(stack, 'POST', '/companies', {
    companyName: name,
    seed: { ...seed, seed: 42 },
  });
  return { ...company, seedMs: performance.now() - started };
}

/** Subscribes the API's Intuit webhook endpoint to the realm, as an Intuit app's webhook configuration does. */
export async function subscribeIntuitWebhooks(stack: BenchStack, realmId: string): Promise<void> {
  await emulatorAdmin(stack, 'PUT', `/companies/${realmId}/webhook`, {
    url: `${stack.apiUrl}/v1/webhooks/quickbooks`,
    verifierToken: stack.verifierToken,
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `read` until `accept` holds; throws with `what` when `timeoutMs` passes. */
export async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Runs `work` over `items` with at most `limit` at a time, keeping the order of results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!, index);
      }
    }),
  );
  return results;
}
