import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '../../src/emulator/random';
import { admin, faultCode, send, type HttpReply, type HttpRequest, type QboBody } from './http';

export type RequestKind = 'read' | 'query' | 'update' | 'create';

export interface RequestSample {
  kind: RequestKind;
  status: number;
  ms: number;
  /** QBO's fault code on a non-2xx answer. */
  code: string | undefined;
}

export interface RealmTarget {
  baseUrl: string;
  realmId: string;
  token: string;
  index: number;
}

export interface LoopTiming {
  /** performance.now() of this loop's first slot. */
  firstSlotMs: number;
  deadlineMs: number;
  intervalMs: number;
}

/** Share of customer updates preceded by a bookkeeper's edit in the QBO UI, so the CRM's SyncToken goes stale. */
const staleEditRate = 0.15;

/** Ends a loop from inside a multi-request step once the run's time is up. */
class DeadlineReached extends Error {}

/**
 * Sends on a fixed grid (first slot + k·interval). A loop that fell behind catches up, but never sends sooner
 * than 0.9 intervals after its previous request, so no burst can trip the per-second limit.
 */
class Pacer {
  private slot: number;
  private lastSend = Number.NEGATIVE_INFINITY;

  constructor(private readonly timing: LoopTiming) {
    this.slot = timing.firstSlotMs;
  }

  async next(): Promise<boolean> {
    const at = Math.max(this.slot, this.lastSend + this.timing.intervalMs * 0.9);
    if (at >= this.timing.deadlineMs) return false;
    const wait = at - performance.now();
    if (wait > 0) await sleep(wait);
    this.lastSend = performance.now();
    this.slot += this.timing.intervalMs;
    return true;
  }
}

/** Ids a client has seen, with their SyncTokens, cheap to pick from at random. */
class KnownRecords {
  private readonly tokens = new Map<string, string>();
  private readonly ids: string[] = [];

  get size(): number {
    return this.ids.length;
  }

  remember(id: string, syncToken: string): void {
    if (!this.tokens.has(id)) this.ids.push(id);
    this.tokens.set(id, syncToken);
  }

  token(id: string): string {
    return this.tokens.get(id) ?? '0';
  }

  pick(random: () => number): string {
    return this.ids[Math.floor(random() * this.ids.length)]!;
  }
}

/**
 * One CRM sync client for one realm: what qbo-sync does against QBO, on a paced loop. It learns ids from queries
 * (never assumes them), reads by id, pages and filters with WHERE/MAXRESULTS, sparse-updates customers and
 * re-reads on a stale SyncToken (5010), and creates customers and invoices.
 */
export class RealmLoop {
  readonly samples: RequestSample[] = [];
  userEdits = 0;
  private readonly random: () => number;
  private readonly pacer: Pacer;
  private readonly customers = new KnownRecords();
  private readonly invoices = new KnownRecords();
  private readonly items: { id: string; price: number }[] = [];
  private created = 0;
  private customerPage = 0;
  private invoicePage = 0;

  constructor(
    private readonly target: RealmTarget,
    timing: LoopTiming,
  ) {
    this.random = seededRandom(1_000 + target.index);
    this.pacer = new Pacer(timing);
  }

  async run(): Promise<void> {
    try {
      await this.discoverItems();
      for (;;) await this.step();
    } catch (error) {
      if (!(error instanceof DeadlineReached)) throw error;
    }
  }

  /** The mix per step: 25% queries, 35% reads by id, 30% sparse updates, 10% creates. */
  private async step(): Promise<void> {
    const roll = this.random();
    if (roll < 0.25 || this.customers.size === 0) return this.query();
    if (roll < 0.45) return this.readCustomer();
    if (roll < 0.6) return this.readInvoice();
    if (roll < 0.9) return this.updateCustomer();
    return this.create();
  }

  private async api(
    kind: RequestKind,
    method: HttpRequest['method'],
    path: string,
    options: { query?: string; body?: unknown } = {},
  ): Promise<HttpReply> {
    if (!(await this.pacer.next())) throw new DeadlineReached();
    const search = new URLSearchParams({ minorversion: '75' });
    if (options.query !== undefined) search.set('query', options.query);
    const { baseUrl, realmId, token } = this.target;
    const url = `${baseUrl}/v3/company/${realmId}${path}?${search.toString()}`;
    const reply = await send({ method, url, token, body: options.body });
    const code = reply.status >= 200 && reply.status < 300 ? undefined : faultCode(reply.body);
    this.samples.push({ kind, status: reply.status, ms: reply.ms, code });
    this.remember(reply.body);
    return reply;
  }

  private remember(body: QboBody | undefined): void {
    const customers = [body?.Customer, ...(body?.QueryResponse?.Customer ?? [])];
    const invoices = [body?.Invoice, ...(body?.QueryResponse?.Invoice ?? [])];
    for (const row of customers) if (row) this.customers.remember(row.Id, row.SyncToken);
    for (const row of invoices) if (row) this.invoices.remember(row.Id, row.SyncToken);
  }

  private async discoverItems(): Promise<void> {
    const reply = await this.api('query', 'GET', '/query', {
      query: "SELECT * FROM Item WHERE Type = 'Service' MAXRESULTS 10",
    });
    for (const item of reply.body?.QueryResponse?.Item ?? []) {
      if (Number(item.UnitPrice) > 0) this.items.push({ id: item.Id, price: Number(item.UnitPrice) });
    }
  }

  private async query(): Promise<void> {
    await this.api('query', 'GET', '/query', { query: this.nextStatement() });
  }

  /** Rotates through the statements a sync service sends: paging, name search, open balances, deltas, counts. */
  private nextStatement(): string {
    if (this.customers.size === 0) return this.customerPageStatement();
    switch (Math.floor(this.random() * 5)) {
      case 0:
        return this.customerPageStatement();
      case 1: {
        const letter = 'ABCDEGHKLMNOPRSTWY'[Math.floor(this.random() * 18)]!;
        return `SELECT * FROM Customer WHERE DisplayName LIKE '${letter}%' MAXRESULTS 20`;
      }
      case 2: {
        const start = 1 + (this.invoicePage++ % 10) * 25;
        return `SELECT * FROM Invoice WHERE Balance > '0' ORDERBY TxnDate DESC STARTPOSITION ${start} MAXRESULTS 25`;
      }
      case 3: {
        const since = new Date(Date.now() - 60_000).toISOString();
        return `SELECT * FROM Customer WHERE MetaData.LastUpdatedTime > '${since}' MAXRESULTS 100`;
      }
      default: {
        const since = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
        return `SELECT COUNT(*) FROM Invoice WHERE TxnDate >= '${since}'`;
      }
    }
  }

  private customerPageStatement(): string {
    const start = 1 + (this.customerPage++ % 10) * 50;
    return `SELECT * FROM Customer WHERE Active = true STARTPOSITION ${start} MAXRESULTS 50`;
  }

  private async readCustomer(): Promise<void> {
    await this.api('read', 'GET', `/customer/${this.customers.pick(this.random)}`);
  }

  private async readInvoice(): Promise<void> {
    if (this.invoices.size === 0) return this.query();
    await this.api('read', 'GET', `/invoice/${this.invoices.pick(this.random)}`);
  }

  /** A sparse update with the SyncToken we hold; on 5010 re-read the customer and send it again. */
  private async updateCustomer(): Promise<void> {
    const id = this.customers.pick(this.random);
    if (this.random() < staleEditRate) await this.editAsBookkeeper(id);
    const reply = await this.api('update', 'POST', '/customer', { body: this.sparseUpdate(id) });
    if (reply.status !== 400 || faultCode(reply.body) !== '5010') return;
    await this.api('read', 'GET', `/customer/${id}`);
    await this.api('update', 'POST', '/customer', { body: this.sparseUpdate(id) });
  }

  private sparseUpdate(id: string): Record<string, unknown> {
    const stamp = Math.floor(this.random() * 1e9).toString(36);
    return {
      Id: id,
      SyncToken: this.customers.token(id),
      sparse: true,
      Notes: `Synced from CRM (${stamp})`,
      PrimaryPhone: {
        FreeFormNumber: `(415) 555-${String(Math.floor(this.random() * 10_000)).padStart(4, '0')}`,
      },
    };
  }

  /** Goes through the admin API, as a person in the QBO web app would: outside the gateway, not throttled. */
  private async editAsBookkeeper(id: string): Promise<void> {
    const { baseUrl, realmId } = this.target;
    await admin(baseUrl, 'POST', `/companies/${realmId}/entities/Customer`, {
      operation: 'update',
      entity: { Id: id, Notes: 'Edited in QuickBooks' },
    });
    this.userEdits += 1;
  }

  private async create(): Promise<void> {
    this.created += 1;
    if (this.items.length > 0 && this.random() < 0.3) {
      await this.api('create', 'POST', '/invoice', { body: this.newInvoice() });
      return;
    }
    const tag = `r${this.target.index}-${this.created}`;
    await this.api('create', 'POST', '/customer', {
      body: {
        DisplayName: `CRM Contact ${tag}`,
        GivenName: 'Bench',
        FamilyName: tag,
        PrimaryEmailAddr: { Address: `bench.${tag}@example.com` },
      },
    });
  }

  private newInvoice(): Record<string, unknown> {
    const item = this.items[Math.floor(this.random() * this.items.length)]!;
    const qty = 1 + Math.floor(this.random() * 5);
    return {
      CustomerRef: { value: this.customers.pick(this.random) },
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: qty * item.price,
          SalesItemLineDetail: { ItemRef: { value: item.id }, Qty: qty, UnitPrice: item.price },
        },
      ],
    };
  }
}
