/**
 * Shared machinery of the fault-injection suite (test/chaos): a seeded PRNG, the product as separate processes
 * (the real API and worker entry points as children, so they can be SIGKILLed), a private Temporal + embedded database that a
 * test may stop and restart without disturbing the shared stack, and a CRM/QBO edit load whose invariants are
 * checked at the end of each scenario.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Mongoose } from 'mongoose';
import { createAccount, issueApiKey } from '../../src/accounts/keys';
import { connectMongo } from '../../src/db/connect';
import { systemClock } from '../../src/emulator/clock';
import { QboEmulator } from '../../src/emulator/emulator';
import { listenEmulator } from '../../src/emulator/http/app';
import { contactKey, contactModel, type ContactRecord } from '../../src/contacts/model';
import { syncEventModel } from '../../src/history/sync-events';
import { approveConsent } from '../../src/stack/demo';
import { ManagedProcess, freePort } from '../../src/stack/process';
import { startMongoServer, startTemporalServer, type RunningService } from '../../src/stack/services';
import { ensureJavaTool, ensureTool, javaTools, tools } from '../../src/stack/tools';
import { QboClient, http, type HttpResult } from '../support/emulator';
import { eventually, uniqueName } from '../support/env';

const repoRoot = path.resolve(__dirname, '..', '..');

// ─── Seeded randomness ────────────────────────────────────────────────────────────────────────────────────────────

export interface Random {
  seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
}

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    chance: (probability) => next() < probability,
  };
}

/**
 * The scenario's PRNG: `CHAOS_SEED` when set (to replay a failure), a fresh seed otherwise. The seed is printed
 * either way, so a failing CI run says how to reproduce it.
 */
export function chaosRandom(scenario: string): Random {
  const fromEnv = process.env.CHAOS_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : randomInt(2 ** 31);
  say(`${scenario}: seed ${seed} (replay with CHAOS_SEED=${seed})`);
  return seededRandom(seed);
}

export function say(line: string): void {
  process.stderr.write(`[chaos] ${line}\n`);
}

// ─── A private Temporal + MongoDB server that a test may stop and restart ───────────────────────────────────────────────

export interface PrivateServices {
  temporalAddress: string;
  /** The server's URI, without a database name. */
  mongoUri: string;
  stopTemporal: () => Promise<void>;
  /** Starts it again on the same port and the same SQLite file, so workflows survive. */
  startTemporal: () => Promise<void>;
  stopMongo: () => Promise<void>;
  /** Starts it again on the same port and the same data folder, so documents survive. */
  startMongo: () => Promise<void>;
  close: () => Promise<void>;
}

/**
 * A Temporal dev server (persisted to a SQLite file) and an embedded MongoDB server (persisted to its data file) of this
 * test file's own, on free loopback ports.
 * The shared stack of global-setup.ts keeps running untouched while these go down and come back.
 */
export async function startPrivateServices(
  name: string,
  log: (line: string) => void,
): Promise<PrivateServices> {
  const dir = mkdtempSync(path.join(tmpdir(), `qbo-sync-chaos-${name}-`));
  const [temporalBinary, mongoBinary] = await Promise.all([
    ensureTool(tools.temporal, log).then((found) => found.path),
    ensureJavaTool(javaTools.mongoServer, log).then((found) => found.path),
  ]);
  const temporalPort = await freePort();
  const mongoPort = await freePort();
  let temporal: RunningService | undefined;
  let mongo: RunningService | undefined;
  const startTemporal = async (): Promise<void> => {
    temporal = await startTemporalServer({
      binary: temporalBinary,
      port: temporalPort,
      uiPort: false,
      dbFile: path.join(dir, 'temporal.sqlite'),
      onLine: (line) => log(`temporal: ${line}`),
    });
  };
  const startMongo = async (): Promise<void> => {
    mongo = await startMongoServer({
      binary: mongoBinary,
      port: mongoPort,
      dataDir: path.join(dir, 'mongodb'),
      onLine: (line) => log(`mongodb: ${line}`),
    });
  };
  const stopTemporal = async (): Promise<void> => {
    await temporal?.stop();
    temporal = undefined;
  };
  const stopMongo = async (): Promise<void> => {
    await mongo?.stop();
    mongo = undefined;
  };
  try {
    await Promise.all([startTemporal(), startMongo()]);
  } catch (error) {
    await Promise.allSettled([stopTemporal(), stopMongo()]);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    temporalAddress: `127.0.0.1:${temporalPort}`,
    mongoUri: `mongodb://127.0.0.1:${mongoPort}/`,
    startTemporal,
    stopTemporal,
    startMongo,
    stopMongo,
    async close() {
      await Promise.allSettled([stopTemporal(), stopMongo()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ─── The QBO emulator ─────────────────────────────────────────────────────────────────────────────────────────────

export interface ChaosEmulator {
  url: string;
  /** The emulator's state, for what its admin API does not show (e.g. whether an armed fault fired). */
  state: QboEmulator;
  admin(method: string, path: string, body?: unknown): Promise<HttpResult>;
  close(): Promise<void>;
}

/**
 * The emulator on the system clock (test/support/emulator.ts freezes time, which makes two edits of a customer
 * look like one webhook event), with Intuit's webhook retry schedule scaled down 1000× and throttles opened up.
 */
export async function startChaosEmulator(seed?: number): Promise<ChaosEmulator> {
  const state = new QboEmulator({
    clock: systemClock,
    ...(seed !== undefined ? { seed } : {}),
    webhookTimeFactor: 0.001,
    webhookBatchWindowMs: 20,
    limits: { perSecond: 10_000, perMinute: 100_000 },
  });
  const running = await listenEmulator(state);
  return {
    url: running.url,
    state,
    admin: (method, adminPath, body) => http(method, `${running.url}/__admin${adminPath}`, { body }),
    close: () => running.close(),
  };
}

// ─── The product as processes ─────────────────────────────────────────────────────────────────────────────────────

export interface ApiResponse {
  status: number;
  json: any;
}

export interface ConnectedCompany {
  id: string;
  realmId: string;
}

export interface ChaosStackOptions {
  /** Names the log file written to test-output/chaos/ when the stack closes. */
  name: string;
  /** Defaults to the shared stack of global-setup.ts. */
  temporalAddress?: string;
  /** A server URI without a database; defaults to the shared test database server. A database of its own is made on it. */
  mongoUri?: string;
  /** Worker processes started at once (default 1). */
  workers?: number;
  /** Seeds the emulator's fault PRNG (429/5xx rates, webhook drop/duplicate/reorder). */
  emulatorSeed?: number;
}

export const verifierToken = 'verifier-for-chaos-tests';

/**
 * The product as it runs in production: `src/api/main.ts` and `src/worker/main.ts` as child processes (any of them
 * can be SIGKILLed), talking to Temporal, the database and the QBO emulator (on the system clock, so timestamps move as
 * in real life) over real sockets. The test keeps a MongoDB connection of its own to check invariants.
 */
export class ChaosStack {
  readonly workers: ManagedProcess[] = [];
  private readonly output: string[] = [];
  private api: ManagedProcess | undefined;
  private closed = false;

  private constructor(
    readonly name: string,
    readonly emulator: ChaosEmulator,
    readonly mongo: Mongoose,
    readonly temporal: Client,
    readonly url: string,
    readonly env: Record<string, string>,
    readonly account: { id: string; key: string },
  ) {}

  static async start(options: ChaosStackOptions): Promise<ChaosStack> {
    const temporalAddress = options.temporalAddress ?? requiredEnv('TEMPORAL_ADDRESS');
    const server = new URL(options.mongoUri ?? requiredEnv('MONGODB_URI'));
    server.pathname = `/${uniqueName(`chaos-${options.name}`).replace(/-/g, '_')}`;
    const dbUri = server.toString();
    const key = randomBytes(32);
    const emulator = await startChaosEmulator(options.emulatorSeed);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      MONGODB_URI: dbUri,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_TASK_QUEUE: uniqueName(`chaos-${options.name}`),
      DEPENDENCY_TIMEOUT_MS: '3000',
      QBO_API_BASE_URL: emulator.url,
      QBO_OAUTH_BASE_URL: emulator.url,
      QBO_REDIRECT_URI: `${url}/v1/oauth/quickbooks/callback`,
      QBO_WEBHOOK_VERIFIER_TOKEN: verifierToken,
      QBO_REQUEST_TIMEOUT_MS: '5000',
      TOKEN_ENCRYPTION_KEYS: `v1:${key.toString('base64')}`,
      OAUTH_STATE_SECRET: 'state-secret-for-chaos-tests',
      EMBED_TOKEN_SECRET: 'embed-secret-for-chaos-tests',
      API_RATE_LIMIT_PER_MINUTE: '100000',
      API_RATE_LIMIT_BURST: '10000',
      // Several workers at once, beside other stacks: each serves its metrics on a free port.
      WORKER_METRICS_PORT: '0',
      // Nothing listens here: no scenario sends reminders (test/followups covers them).
      SMTP_URL: 'smtp://127.0.0.1:9',
    };
    let mongo: Mongoose | undefined;
    let temporal: Client | undefined;
    let stack: ChaosStack;
    try {
      mongo = await connectMongo(dbUri, 5000);
      temporal = new Client({ connection: await Connection.connect({ address: temporalAddress }) });
      const created = await createAccount(mongo.connection, `Chaos ${options.name}`);
      const { key: apiKey } = await issueApiKey(mongo.connection, created._id, 'chaos');
      stack = new ChaosStack(options.name, emulator, mongo, temporal, url, env, {
        id: created._id,
        key: apiKey,
      });
    } catch (error) {
      await emulator.close();
      await temporal?.connection.close();
      await mongo?.disconnect();
      throw error;
    }
    const started = await Promise.allSettled([
      stack.startApi(),
      ...Array.from({ length: options.workers ?? 1 }, () => stack.startWorker()),
    ]);
    const failed = started.find((outcome) => outcome.status === 'rejected');
    if (failed) {
      await stack.close();
      throw failed.reason;
    }
    return stack;
  }

  get liveWorkers(): ManagedProcess[] {
    return this.workers.filter((worker) => !worker.hasExited);
  }

  log(line: string): void {
    this.output.push(`${new Date().toISOString()} ${line}`);
  }

  /** The real worker entry point, on this stack's task queue; resolves once it polls. */
  async startWorker(): Promise<ManagedProcess> {
    const worker = await this.spawn('worker', 'src/worker/main.ts', (line) =>
      line.includes('"worker started"'),
    );
    this.workers.push(worker);
    return worker;
  }

  async killWorker(worker: ManagedProcess): Promise<void> {
    this.log(`chaos: SIGKILL worker ${worker.pid}`);
    worker.kill('SIGKILL');
    await worker.exited;
  }

  async startApi(): Promise<void> {
    this.api = await this.spawn('api', 'src/api/main.ts', (line) => line.includes('"api listening"'));
    await eventually(
      () =>
        fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
          (response) => response.status,
          () => 0,
        ),
      (status) => status === 200,
      20_000,
    );
  }

  private async spawn(
    name: string,
    entry: string,
    started: (line: string) => boolean,
  ): Promise<ManagedProcess> {
    let announce: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (announce = resolve));
    let pid = 0;
    const child = new ManagedProcess({
      name,
      command: process.execPath,
      args: ['--import', 'tsx', path.join(repoRoot, entry)],
      cwd: repoRoot,
      env: { ...process.env, ...this.env },
      stopGraceMs: 5000,
      exitWithParent: true,
      onLine: (line) => {
        this.log(`${name}[${pid}]: ${line}`);
        if (started(line)) announce();
      },
    });
    pid = child.pid ?? 0;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      ready.then(() => 'started' as const),
      child.exited.then(() => 'exited' as const),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 90_000))),
    ]);
    clearTimeout(timer);
    if (outcome !== 'started') {
      child.kill('SIGKILL');
      throw new Error(`${name} ${outcome} before it started; see test-output/chaos/${this.name}.log`);
    }
    return child;
  }

  async request(
    method: string,
    pathAndQuery: string,
    options: { body?: unknown; key?: string | null; timeoutMs?: number } = {},
  ): Promise<ApiResponse> {
    const key = options.key === undefined ? this.account.key : options.key;
    const response = await fetch(`${this.url}${pathAndQuery}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    const text = await response.text();
    let json: unknown = text;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: the test sees the text.
    }
    return { status: response.status, json };
  }

  /** Like `request`, but a refused connection or a timeout is status 0 instead of an exception. */
  async tryRequest(
    method: string,
    pathAndQuery: string,
    options: { body?: unknown; key?: string | null; timeoutMs?: number } = {},
  ): Promise<ApiResponse> {
    try {
      return await this.request(method, pathAndQuery, options);
    } catch (error) {
      return { status: 0, json: { error: String(error) } };
    }
  }

  /**
   * Creates an emulator company, points its webhooks at our API, and connects it through the real OAuth flow
   * (consent page, callback). Follow-ups are switched off so that no scenario sends reminders by accident.
   */
  async connect(
    options: {
      company?: Record<string, unknown>;
      backfill?: boolean;
      webhookFormat?: 'legacy' | 'cloudevents';
      pollIntervalSeconds?: number;
    } = {},
  ): Promise<ConnectedCompany> {
    const company = await this.emulator.admin('POST', '/companies', {
      companyName: `Chaos ${this.name}`,
      ...options.company,
    });
    if (company.status !== 201) throw new Error(`company creation failed: ${company.text}`);
    const realmId: string = company.json.realmId;
    await this.emulator.admin('PUT', `/companies/${realmId}/webhook`, {
      url: `${this.url}/v1/webhooks/quickbooks`,
      verifierToken,
      format: options.webhookFormat ?? 'legacy',
    });
    const connection = await this.authorize(realmId, options.backfill ?? true);
    const policy = await this.request('PUT', `/v1/connections/${connection.id}/follow-up-policy`, {
      body: { enabled: false },
    });
    if (policy.status !== 200) throw new Error(`follow-up policy: ${JSON.stringify(policy.json)}`);
    if (options.pollIntervalSeconds !== undefined) {
      const patched = await this.request('PATCH', `/v1/connections/${connection.id}`, {
        body: { pollIntervalSeconds: options.pollIntervalSeconds },
      });
      if (patched.status !== 200) throw new Error(`settings: ${JSON.stringify(patched.json)}`);
    }
    return connection;
  }

  /** The consent flow for a company, as a user would click through it; also how a connection is reconnected. */
  async authorize(realmId: string, backfill = true): Promise<ConnectedCompany> {
    const started = await this.request('POST', '/v1/connections/quickbooks', { body: { backfill } });
    if (started.status !== 201) throw new Error(`connect start failed: ${JSON.stringify(started.json)}`);
    const callback = new URL(await approveConsent(started.json.authorizeUrl, realmId));
    const done = await this.request('GET', `${callback.pathname}${callback.search}`, { key: null });
    if (done.status !== 200) throw new Error(`callback failed: ${JSON.stringify(done.json)}`);
    return { id: done.json.id, realmId };
  }

  /** A QBO API client for a realm, as a bookkeeper's other app would use it. */
  async qbo(realmId: string): Promise<QboClient> {
    const tokens = await this.emulator.admin('POST', `/companies/${realmId}/tokens`, {});
    return new QboClient(this.emulator.url, realmId, tokens.json.access_token);
  }

  /** Every event the account has, oldest first (all pages). */
  async events(query = ''): Promise<any[]> {
    const all: any[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.request(
        'GET',
        `/v1/events?limit=100${query ? `&${query}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      if (page.status !== 200) throw new Error(`events: ${page.status} ${JSON.stringify(page.json)}`);
      all.push(...page.json.data);
      cursor = page.json.nextCursor;
    } while (cursor);
    return all.reverse();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Nothing here needs a graceful stop, and SIGKILL cannot hang on an activity in flight.
    for (const worker of this.liveWorkers) worker.kill('SIGKILL');
    await Promise.all(this.workers.map((worker) => worker.exited));
    await this.api?.stop();
    await this.emulator.close();
    await this.temporal.connection.close();
    try {
      await this.mongo.connection.dropDatabase();
    } catch {
      // The private database server may already be gone; its folder is removed with it.
    }
    await this.mongo.disconnect();
    const dir = path.join(repoRoot, 'test-output', 'chaos');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${this.name}.log`), `${this.output.join('\n')}\n`);
  }
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set; run the tests through jest so globalSetup starts the stack`);
  return value;
}

// ─── Emulator views used by the invariants ────────────────────────────────────────────────────────────────────────

/** Every customer in the emulator's company, read through the Query API (inactive ones too). */
export async function allCustomers(qbo: QboClient): Promise<any[]> {
  const customers: any[] = [];
  for (let start = 1; ; start += 1000) {
    const page = await qbo.query(
      `select * from Customer where Active in (true, false) startposition ${start} maxresults 1000`,
    );
    if (page.status !== 200) throw new Error(`customer query failed: ${page.status} ${page.text}`);
    const rows: any[] = page.json.QueryResponse.Customer ?? [];
    customers.push(...rows);
    if (rows.length < 1000) return customers;
  }
}

/** The names (or emails) that more than one QBO customer carries: a customer created twice shows up here. */
export function duplicatesBy(
  customers: readonly any[],
  key: (customer: any) => string | undefined,
): string[] {
  const seen = new Map<string, number>();
  for (const customer of customers) {
    const value = key(customer)?.toLowerCase();
    if (value) seen.set(value, (seen.get(value) ?? 0) + 1);
  }
  return [...seen].filter(([, count]) => count > 1).map(([value]) => value);
}

// ─── A CRM and a bookkeeper editing at the same time ──────────────────────────────────────────────────────────────

interface ContactModel {
  crmContactId: string;
  displayName: string;
  email: string;
  /** Owned by the CRM: the value of the last PUT answered 202. */
  phone: string | null;
  /** Owned by QBO: the value of the bookkeeper's last edit. */
  website: string | null;
  qboCustomerId?: string;
  lastUpdatedAt: number;
  /** The CRM's own copy of the contact: the last view the API gave it. */
  view?: { fields: any; state: string };
  /** A PUT that got no 202 (an error, a 503, a timeout): the CRM retries it as docs/api.md says. */
  unacknowledged?: { body: any; phone: string };
  edits: number;
}

export interface LoadStats {
  creates: number;
  crmEdits: number;
  qboEdits: number;
  /** Status codes of PUTs that were not 202 (0 = no answer), each retried until accepted. */
  refused: Record<string, number>;
}

/**
 * A CRM that creates and edits contacts through the API (it owns `phone`) while a bookkeeper edits the same
 * customers in QBO (they own `website`). Field ownership keeps the expected end state exact without modelling
 * conflict resolution, which test/unit/sync/merge.test.ts covers. Like a real CRM it sends whole contacts, so it
 * only edits a contact once it has seen QBO's latest change to it.
 *
 * `verify()` asserts the suite's invariants: every PUT answered 202 is applied (or superseded by a later one) in
 * QBO and the contact reads `synced`; every QBO edit reaches the CRM; no QBO customer exists twice; no contact is
 * linked twice; nothing valid was rejected.
 */
export class EditLoad {
  readonly contacts: ContactModel[] = [];
  readonly stats: LoadStats = { creates: 0, crmEdits: 0, qboEdits: 0, refused: {} };
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly stack: ChaosStack,
    readonly connection: ConnectedCompany,
    private readonly random: Random,
    private readonly options: {
      prefix: string;
      maxContacts: number;
      pauseMs?: [number, number];
      /** Whether the bookkeeper edits in QBO too (default true); false for a CRM-only load. */
      qboEdits?: boolean;
    },
  ) {}

  start(): void {
    this.stopped = false;
    this.running = (async () => {
      const [min, max] = this.options.pauseMs ?? [100, 300];
      while (!this.stopped) {
        await this.step();
        await new Promise((resolve) => setTimeout(resolve, this.random.int(min, max)));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** One action: retry a refused PUT, create a contact, edit one in the CRM, or edit one in QBO. */
  async step(): Promise<void> {
    const refused = this.contacts.filter((contact) => contact.unacknowledged);
    if (refused.length > 0) return this.retry(this.random.pick(refused));
    const roll = this.random.next();
    if (this.contacts.length < this.options.maxContacts && (this.contacts.length < 3 || roll < 0.2)) {
      await this.create();
      return;
    }
    // Both people edit at a similar pace: whoever is far behind goes first.
    if (
      this.options.qboEdits !== false &&
      this.stats.crmEdits > 2 * this.stats.qboEdits + 10 &&
      (await this.qboEdit())
    )
      return;
    const crmBehind = this.stats.qboEdits > 2 * this.stats.crmEdits + 10;
    if (roll >= 0.55 && !crmBehind && (await this.qboEdit())) return;
    return this.crmEdit(this.random.pick(this.contacts));
  }

  private updatedAt(contact: ContactModel): string {
    contact.lastUpdatedAt = Math.max(Date.now(), contact.lastUpdatedAt + 1);
    return new Date(contact.lastUpdatedAt).toISOString();
  }

  /** Creates a contact now, outside the load's rhythm; returns the PUT's status (a refused one is retried later). */
  async createNow(): Promise<number> {
    return this.create();
  }

  private async create(): Promise<number> {
    const n = this.contacts.length + 1;
    const contact: ContactModel = {
      crmContactId: `${this.options.prefix}-${n}`,
      displayName: `${this.options.prefix} Contact ${n}`,
      email: `${this.options.prefix}-${n}@example.com`.toLowerCase(),
      phone: null,
      website: null,
      lastUpdatedAt: 0,
      edits: 0,
    };
    this.contacts.push(contact);
    this.stats.creates += 1;
    const phone = `555-${n}-0`;
    return this.put(
      contact,
      {
        updatedAt: this.updatedAt(contact),
        fields: { displayName: contact.displayName, email: contact.email, phone },
      },
      phone,
    );
  }

  private async crmEdit(contact: ContactModel): Promise<void> {
    // The CRM's copy: the API's merged view, which is what its contact.updated webhooks would have given it. When
    // the API cannot answer, the CRM still has its own copy and edits that.
    const current = await this.stack.tryRequest('GET', this.contactPath(contact));
    if (current.status === 200) this.learn(contact, current.json);
    const view = contact.view;
    if (!view || (view.fields.website ?? null) !== contact.website) return; // QBO's last edit not seen yet
    // A person edits a contact whose last save went through, and now and then again while it is still being
    // written: a steady load does not wait for the sync.
    if (view.state === 'pending' && !this.random.chance(0.3)) return;
    contact.edits += 1;
    const phone = `555-${this.contacts.indexOf(contact) + 1}-${contact.edits}`;
    this.stats.crmEdits += 1;
    await this.put(contact, { updatedAt: this.updatedAt(contact), fields: { ...view.fields, phone } }, phone);
  }

  /** The bookkeeper edits a linked contact in QBO now, outside the load's rhythm (which retries a refused PUT first). */
  async editInQboNow(): Promise<boolean> {
    return this.qboEdit();
  }

  /** The bookkeeper edits a linked contact in QBO. False when no contact is linked yet. */
  private async qboEdit(): Promise<boolean> {
    if (this.options.qboEdits === false) return false;
    const linked = this.contacts.filter((contact) => contact.qboCustomerId);
    if (linked.length === 0) return false;
    const contact = this.random.pick(linked);
    contact.edits += 1;
    const website = `https://${contact.crmContactId}.example.com/v${contact.edits}`.toLowerCase();
    // As a person in the QBO web app: no SyncToken, published to webhooks and CDC like any change.
    const edited = await this.stack.emulator.admin(
      'POST',
      `/companies/${this.connection.realmId}/entities/customer`,
      { entity: { Id: contact.qboCustomerId, WebAddr: { URI: website } } },
    );
    if (edited.status !== 200) throw new Error(`QBO edit failed: ${edited.status} ${edited.text}`);
    contact.website = website;
    this.stats.qboEdits += 1;
    return true;
  }

  private async retry(contact: ContactModel): Promise<void> {
    const { body, phone } = contact.unacknowledged!;
    await this.put(contact, body, phone);
  }

  private async put(contact: ContactModel, body: any, phone: string): Promise<number> {
    const response = await this.stack.tryRequest('PUT', this.contactPath(contact), {
      body,
      timeoutMs: 10_000,
    });
    if (response.status === 202) {
      contact.phone = phone;
      contact.unacknowledged = undefined;
      this.learn(contact, response.json);
      return response.status;
    }
    this.stats.refused[response.status] = (this.stats.refused[response.status] ?? 0) + 1;
    // Refused visibly: nothing is promised, and the CRM sends the same request again.
    if (response.status >= 400 && response.status < 500 && response.status !== 429 && response.status !== 409)
      throw new Error(`PUT refused as invalid: ${response.status} ${JSON.stringify(response.json)}`);
    contact.unacknowledged = { body, phone };
    return response.status;
  }

  private learn(contact: ContactModel, view: any): void {
    if (view?.quickbooks?.customerId) contact.qboCustomerId = view.quickbooks.customerId;
    if (view?.fields && view?.sync) contact.view = { fields: view.fields, state: view.sync.state };
  }

  private contactPath(contact: ContactModel): string {
    return `/v1/contacts/${contact.crmContactId}?connectionId=${this.connection.id}`;
  }

  /** Sends every refused PUT again until it is accepted, as the CRM would. */
  async settle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const refused = this.contacts.filter((contact) => contact.unacknowledged);
      if (refused.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(`PUTs never accepted: ${refused.map((contact) => contact.crmContactId).join(', ')}`);
      for (const contact of refused) await this.retry(contact);
      if (refused.some((contact) => contact.unacknowledged))
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** How many of the load's contacts are pending, synced or rejected right now (for progress lines). */
  async syncStates(): Promise<string> {
    const states = await contactModel(this.stack.mongo.connection)
      .find(
        {
          _id: { $in: this.contacts.map((contact) => contactKey(this.connection.id, contact.crmContactId)) },
        },
        { state: 1 },
      )
      .lean<Pick<ContactRecord, 'state'>[]>();
    const counts: Record<string, number> = {};
    for (const { state } of states) counts[state] = (counts[state] ?? 0) + 1;
    return JSON.stringify(counts);
  }

  describe(): string {
    const refused = Object.entries(this.stats.refused)
      .map(([status, count]) => `${status}×${count}`)
      .join(' ');
    return (
      `${this.stats.creates} creates, ${this.stats.crmEdits} CRM edits, ${this.stats.qboEdits} QBO edits` +
      (refused ? `, refused and retried: ${refused}` : '')
    );
  }

  /** Writes what the engine recorded about a contact to the stack's log file, for the failure that follows. */
  private async diagnose(contact: ContactModel): Promise<void> {
    const db = this.stack.mongo.connection.db!;
    const key = `${this.connection.id}:${contact.crmContactId}`;
    const [events, stored] = await Promise.all([
      db
        .collection('sync_events')
        .find({ connectionId: this.connection.id, crmContactId: contact.crmContactId })
        .toArray(),
      db.collection('contacts').findOne({ _id: key as never }),
    ]);
    this.stack.log(`diagnosis of ${contact.crmContactId}: expected ${JSON.stringify(contact)}`);
    this.stack.log(`  contact: ${JSON.stringify(stored)}`);
    for (const event of events) this.stack.log(`  sync_event: ${JSON.stringify(event)}`);
  }

  /**
   * The invariants, once the load has stopped; waits up to `timeoutMs` for the system to converge. The suites give it
   * 90 s: a bound for a 2-core CI machine running the whole suite at a load average near 20, not a sync target
   * (`npm run bench` measures freshness); a lost edit still fails, only later.
   */
  async verify(timeoutMs = 60_000): Promise<void> {
    await this.settle(timeoutMs);
    const deadline = Date.now() + timeoutMs;
    const expected = (contact: ContactModel) => ({
      state: 'synced',
      phone: contact.phone,
      website: contact.website,
    });
    for (const contact of this.contacts) {
      const converged = (found: ApiResponse): boolean =>
        found.status === 200 &&
        found.json.sync.state === 'synced' &&
        (found.json.fields.phone ?? null) === contact.phone &&
        (found.json.fields.website ?? null) === contact.website;
      let view: ApiResponse;
      try {
        view = await eventually(
          () => this.stack.tryRequest('GET', this.contactPath(contact)),
          converged,
          Math.max(deadline - Date.now(), 1000),
        );
      } catch (error) {
        // What the engine recorded goes to the stack's log before the timeout is reported.
        await this.diagnose(contact);
        throw new Error(
          `${contact.crmContactId} never converged to phone ${contact.phone}, website ${contact.website} ` +
            `(see test-output/chaos/${this.stack.name}.log): ${(error as Error).message.slice(0, 2000)}`,
        );
      }
      // Every PUT answered 202 ends synced (or rejected with an event), and every QBO edit reaches the CRM.
      expect({
        contact: contact.crmContactId,
        state: view.json?.sync?.state,
        phone: view.json?.fields?.phone ?? null,
        website: view.json?.fields?.website ?? null,
      }).toEqual({ contact: contact.crmContactId, ...expected(contact) });
      this.learn(contact, view.json);
    }

    const qbo = await this.stack.qbo(this.connection.realmId);
    const customers = await allCustomers(qbo);
    // No QBO customer was created twice, under its name or under a disambiguated one carrying the same email.
    expect(duplicatesBy(customers, (customer) => customer.DisplayName)).toEqual([]);
    expect(duplicatesBy(customers, (customer) => customer.PrimaryEmailAddr?.Address)).toEqual([]);
    const byId = new Map(customers.map((customer) => [customer.Id as string, customer]));
    for (const contact of this.contacts) {
      const customer = byId.get(contact.qboCustomerId ?? '');
      // QBO holds the CRM's last accepted value and the bookkeeper's last edit: no update was lost either way.
      expect({
        contact: contact.crmContactId,
        displayName: customer?.DisplayName,
        phone: customer?.PrimaryPhone?.FreeFormNumber ?? null,
        website: customer?.WebAddr?.URI ?? null,
      }).toEqual({
        contact: contact.crmContactId,
        displayName: contact.displayName,
        phone: contact.phone,
        website: contact.website,
      });
    }

    const db = this.stack.mongo.connection;
    const ours = {
      connectionId: this.connection.id,
      crmContactId: { $in: this.contacts.map((c) => c.crmContactId) },
    };
    const linked = await contactModel(db)
      .find({ ...ours, linkKey: { $exists: true } }, { link: 1 })
      .lean<Pick<ContactRecord, 'link'>[]>();
    expect(linked).toHaveLength(this.contacts.length);
    expect(new Set(linked.map((contact) => contact.link!.qboCustomerId)).size).toBe(this.contacts.length);
    // Every input was valid: nothing may have been refused by QBO's rules.
    expect(
      await syncEventModel(db)
        .find({ ...ours, kind: 'rejected' })
        .lean(),
    ).toEqual([]);
  }
}
