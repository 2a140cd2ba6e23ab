import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../src/emulator/clock';
import {
  type EntityChange,
  signPayload,
  WebhookDispatcher,
  type WebhookDispatcherOptions,
  type WebhookSubscription,
} from '../../src/emulator/webhooks';
import { retryDelayMs } from '../../src/emulator/webhooks/retry';

const REALM = '1185883450';
/** A second realm whose deliveries show that a timer of REALM's would have fired by now. */
const SENTINEL = '4620816365';
const TOKEN = 'verifier-token-for-tests';

interface Received {
  body: string;
  headers: IncomingHttpHeaders;
  /** performance.now() when the request body had fully arrived. */
  at: number;
}

interface Reply {
  status: number;
  /** Wait this long before answering (to exceed the dispatcher's timeout). */
  delayMs?: number;
}

/** A local webhook endpoint that records raw requests and answers what the test scripts. */
class Receiver {
  readonly requests: Received[] = [];
  url = '';
  reply: (request: Received, index: number) => Reply = () => ({ status: 200 });
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const received = {
          body: Buffer.concat(chunks).toString('utf8'),
          headers: req.headers,
          at: performance.now(),
        };
        const { status, delayMs = 0 } = this.reply(received, this.requests.length);
        this.requests.push(received);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          res.writeHead(status).end();
        }, delayMs);
        this.timers.add(timer);
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks`;
    return this;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A small seeded PRNG (mulberry32) so fault runs are reproducible. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function change(id: string, overrides: Partial<EntityChange> = {}): EntityChange {
  return {
    realmId: REALM,
    name: 'Customer',
    id,
    operation: 'Create',
    lastUpdated: new Date('2025-09-08T20:52:31.657Z'),
    ...overrides,
  };
}

/** The realms a legacy body notifies about. */
function legacyRealms(body: string): string[] {
  const parsed = JSON.parse(body) as { eventNotifications: { realmId: string }[] };
  return parsed.eventNotifications.map((notification) => notification.realmId);
}

/** Entity ids in a legacy body, in order. */
function legacyIds(body: string): string[] {
  const parsed = JSON.parse(body) as {
    eventNotifications: { dataChangeEvent: { entities: { id: string }[] } }[];
  };
  return parsed.eventNotifications.flatMap((n) => n.dataChangeEvent.entities.map((entity) => entity.id));
}

describe('webhook dispatcher', () => {
  let receiver: Receiver;
  let dispatcher: WebhookDispatcher | undefined;

  beforeEach(async () => {
    receiver = await new Receiver().start();
  });

  afterEach(async () => {
    await dispatcher?.close();
    dispatcher = undefined;
    await receiver.stop();
  });

  /** Polls until `condition` holds; after `timeoutMs`, fails with `what` and what the receiver had got by then. */
  async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!condition()) {
      if (performance.now() > deadline) {
        const got = receiver.requests.map((request) => request.body.slice(0, 200));
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; the receiver got ${JSON.stringify(got)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** The requests the receiver got for a realm (legacy bodies). */
  const sentTo = (realmId: string): Received[] =>
    receiver.requests.filter((request) => legacyRealms(request.body).includes(realmId));

  function start(
    options: WebhookDispatcherOptions = {},
    subscription: Partial<WebhookSubscription> = {},
  ): WebhookDispatcher {
    dispatcher = new WebhookDispatcher({ timeFactor: 0.001, batchWindowMs: 20, ...options });
    dispatcher.subscribe(REALM, {
      url: receiver.url,
      verifierToken: TOKEN,
      format: 'legacy',
      ...subscription,
    });
    return dispatcher;
  }

  describe('payloads and signing', () => {
    it('sends the legacy eventNotifications body with Intuit headers and a verifiable signature', async () => {
      const clock = new ManualClock('2026-01-15T12:00:00Z');
      const webhooks = start({ clock });
      webhooks.notify(change('1'));
      webhooks.notify(
        change('7', { operation: 'Merge', deletedId: '27', lastUpdated: new Date('2026-01-15T11:59:58.5Z') }),
      );
      await webhooks.flush();

      expect(receiver.requests).toHaveLength(1);
      const [request] = receiver.requests;
      expect(request?.body).toBe(
        JSON.stringify({
          eventNotifications: [
            {
              realmId: REALM,
              dataChangeEvent: {
                entities: [
                  { name: 'Customer', id: '1', operation: 'Create', lastUpdated: '2025-09-08T20:52:31.657Z' },
                  {
                    name: 'Customer',
                    id: '7',
                    operation: 'Merge',
                    lastUpdated: '2026-01-15T11:59:58.500Z',
                    deletedId: '27',
                  },
                ],
              },
            },
          ],
        }),
      );

      // What a receiver does: HMAC the raw bytes and compare in constant time.
      const expected = createHmac('sha256', TOKEN)
        .update(Buffer.from(request?.body ?? '', 'utf8'))
        .digest();
      const given = Buffer.from(String(request?.headers['intuit-signature']), 'base64');
      expect(given).toHaveLength(32);
      expect(timingSafeEqual(given, expected)).toBe(true);
      expect(signPayload(request?.body ?? '', 'another-token')).not.toBe(
        request?.headers['intuit-signature'],
      );

      expect(request?.headers).toMatchObject({
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'intuit_notification_server/0.1',
        'intuit-notification-schema-version': '0.1',
        'intuit-created-time': '2026-01-15T12:00:00+0000',
      });
      expect(request?.headers['intuit-t-id']).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );

      const [record] = webhooks.deliveries(REALM);
      expect(record).toMatchObject({
        id: request?.headers['intuit-t-id'],
        realmId: REALM,
        url: receiver.url,
        body: request?.body,
        signature: request?.headers['intuit-signature'],
        events: 2,
        state: 'delivered',
        duplicated: false,
      });
      expect(record?.attempts).toEqual([
        { at: new Date('2026-01-15T12:00:00Z'), status: 200, durationMs: expect.any(Number) },
      ]);
      expect(webhooks.stats(REALM)).toEqual({
        sent: 1,
        delivered: 1,
        failed: 0,
        dropped: 0,
        duplicated: 0,
        pendingEvents: 0,
      });
    });

    it('sends CloudEvents as a JSON array with qbo.<entity>.<past tense>.v1 types', async () => {
      const webhooks = start({}, { format: 'cloudevents' });
      const operations = ['Create', 'Update', 'Delete', 'Merge', 'Void', 'Emailed'] as const;
      for (const [index, operation] of operations.entries()) {
        webhooks.notify(
          change(String(index + 1), {
            name: operation === 'Merge' ? 'Customer' : 'SalesReceipt',
            operation,
            ...(operation === 'Merge' ? { deletedId: '27' } : {}),
          }),
        );
      }
      await webhooks.flush();

      expect(receiver.requests).toHaveLength(1);
      const [request] = receiver.requests;
      expect(request?.headers['content-type']).toBe('application/json');
      expect(request?.headers['intuit-signature']).toBe(signPayload(request?.body ?? '', TOKEN));
      const events = JSON.parse(request?.body ?? '') as Record<string, unknown>[];
      expect(events.map((event) => event.type)).toEqual([
        'qbo.salesreceipt.created.v1',
        'qbo.salesreceipt.updated.v1',
        'qbo.salesreceipt.deleted.v1',
        'qbo.customer.merged.v1',
        'qbo.salesreceipt.voided.v1',
        'qbo.salesreceipt.emailed.v1',
      ]);
      expect(events[3]).toEqual({
        specversion: '1.0',
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        source: expect.stringMatching(/^intuit\.[A-Za-z0-9+/]{43}=$/),
        type: 'qbo.customer.merged.v1',
        datacontenttype: 'application/json',
        time: '2025-09-08T20:52:31.657Z',
        intuitentityid: '4',
        intuitaccountid: REALM,
        data: { deletedid: '27' },
      });
      expect(events[0]?.data).toEqual({});
      expect(new Set(events.map((event) => event.id)).size).toBe(6);
      expect(new Set(events.map((event) => event.source)).size).toBe(1);
    });

    it('honours a per-subscription content type', async () => {
      const webhooks = start({}, { format: 'cloudevents', contentType: 'application/cloudevents+json' });
      webhooks.notify(change('1'));
      await webhooks.flush();
      expect(receiver.requests.map((request) => request.headers['content-type'])).toEqual([
        'application/cloudevents+json',
      ]);
    });
  });

  describe('batching and filtering', () => {
    it('collects changes made within the batch window into one POST', async () => {
      const webhooks = start({ batchWindowMs: 50 });
      webhooks.notify(change('1'));
      webhooks.notify(change('2', { name: 'Invoice' }));
      webhooks.notify(change('3', { operation: 'Update' }));
      expect(webhooks.stats(REALM).pendingEvents).toBe(3);
      await waitFor('the batch', () => receiver.requests.length === 1);
      // Whatever was still to be sent goes now: nothing, if all three went in the one POST.
      await webhooks.flush();
      expect(receiver.requests).toHaveLength(1);
      expect(legacyIds(receiver.requests[0]?.body ?? '')).toEqual(['1', '2', '3']);
      expect(webhooks.stats(REALM)).toMatchObject({ sent: 1, delivered: 1, pendingEvents: 0 });
    });

    it('caps a batch at maxBatchSize and keeps the order of changes', async () => {
      const webhooks = start({ maxBatchSize: 2 });
      for (const id of ['1', '2', '3', '4', '5']) webhooks.notify(change(id));
      await webhooks.flush();
      expect(receiver.requests.map((request) => legacyIds(request.body))).toEqual([
        ['1', '2'],
        ['3', '4'],
        ['5'],
      ]);
      expect(webhooks.deliveries(REALM).map((record) => record.events)).toEqual([2, 2, 1]);
    });

    it('sends only the entities the subscription lists', async () => {
      const webhooks = start({}, { entities: ['Invoice', 'payment'] });
      webhooks.notify(change('1', { name: 'Customer' }));
      webhooks.notify(change('2', { name: 'Invoice' }));
      webhooks.notify(change('3', { name: 'Payment' }));
      await webhooks.flush();
      expect(receiver.requests).toHaveLength(1);
      expect(legacyIds(receiver.requests[0]?.body ?? '')).toEqual(['2', '3']);
    });

    it('ignores changes for realms without a subscription', async () => {
      const webhooks = start();
      webhooks.notify(change('1', { realmId: '999' }));
      await webhooks.flush();
      expect(receiver.requests).toHaveLength(0);
      expect(webhooks.deliveries('999')).toEqual([]);
    });
  });

  describe('acknowledgement and retries', () => {
    it('follows Intuit’s retry intervals, then stays at six hours', () => {
      const seconds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 25].map((failures) => retryDelayMs(failures) / 1000);
      expect(seconds).toEqual([0, 10, 20, 30, 300, 1200, 7200, 14400, 21600, 21600, 21600]);
    });

    it('retries a 500 on the scaled schedule with the same body and signature until it is acknowledged', async () => {
      receiver.reply = (_request, index) => ({ status: index < 3 ? 500 : 200 });
      // Gaps of 0, 200 and 400 ms: wide enough apart that a loaded machine's late timers do not blur them.
      const webhooks = start({ timeFactor: 0.02 });
      webhooks.notify(change('1'));
      await waitFor('four attempts', () => receiver.requests.length === 4);
      await webhooks.flush();

      const [first] = receiver.requests;
      for (const request of receiver.requests) {
        expect(request.body).toBe(first?.body);
        expect(request.headers['intuit-signature']).toBe(first?.headers['intuit-signature']);
        expect(request.headers['intuit-t-id']).toBe(first?.headers['intuit-t-id']);
      }
      const gaps = receiver.requests
        .slice(1)
        .map((request, index) => request.at - (receiver.requests[index]?.at ?? 0));
      expect(gaps[0]).toBeLessThan(150);
      expect(gaps[1]).toBeGreaterThanOrEqual(196);
      expect(gaps[2]).toBeGreaterThanOrEqual(396);
      expect(gaps[2]).toBeGreaterThan(gaps[1] ?? Infinity);

      const [record] = webhooks.deliveries(REALM);
      expect(record?.state).toBe('delivered');
      expect(record?.attempts.map((attempt) => attempt.status)).toEqual([500, 500, 500, 200]);
      expect(webhooks.stats(REALM)).toMatchObject({ sent: 4, delivered: 1, failed: 0, pendingEvents: 0 });
    });

    it('treats a response slower than the timeout as a failure and retries', async () => {
      receiver.reply = (_request, index) => ({ status: 200, delayMs: index === 0 ? 400 : 0 });
      const webhooks = start({ requestTimeoutMs: 100 });
      webhooks.notify(change('1'));
      await waitFor('the retry', () => receiver.requests.length === 2);
      await webhooks.flush();

      const [record] = webhooks.deliveries(REALM);
      expect(record?.state).toBe('delivered');
      expect(record?.attempts).toHaveLength(2);
      expect(record?.attempts[0]?.status).toBeUndefined();
      expect(record?.attempts[0]?.error).toBe('no response within 100 ms');
      expect(record?.attempts[0]?.durationMs).toBeGreaterThanOrEqual(95);
      expect(record?.attempts[0]?.durationMs).toBeLessThan(390);
      expect(record?.attempts[1]?.status).toBe(200);
      expect(receiver.requests[1]?.body).toBe(receiver.requests[0]?.body);
    });

    it('holds later batches for a realm until the failing one is acknowledged', async () => {
      let failuresOfA = 0;
      receiver.reply = (request) => ({
        status: legacyIds(request.body)[0] === 'A' && failuresOfA++ < 2 ? 503 : 200,
      });
      const webhooks = start({ maxBatchSize: 1, timeFactor: 0.003 });
      webhooks.notify(change('A'));
      webhooks.notify(change('B'));
      webhooks.notify(change('C'));
      await waitFor('all batches', () => receiver.requests.length === 5);
      await webhooks.flush();
      expect(receiver.requests.map((request) => legacyIds(request.body)[0])).toEqual([
        'A',
        'A',
        'A',
        'B',
        'C',
      ]);
      expect(webhooks.deliveries(REALM).map((record) => record.state)).toEqual([
        'delivered',
        'delivered',
        'delivered',
      ]);
    });

    it('gives up after maxAttempts, records the batch as failed and moves on', async () => {
      receiver.reply = (request) => ({ status: legacyIds(request.body)[0] === 'A' ? 500 : 204 });
      const webhooks = start({ maxBatchSize: 1, maxAttempts: 3 });
      webhooks.notify(change('A'));
      webhooks.notify(change('B'));
      await waitFor('B', () => receiver.requests.some((request) => legacyIds(request.body)[0] === 'B'));
      await webhooks.flush();
      expect(receiver.requests.map((request) => legacyIds(request.body)[0])).toEqual(['A', 'A', 'A', 'B']);
      const [failed, delivered] = webhooks.deliveries(REALM);
      expect(failed?.state).toBe('failed');
      expect(failed?.attempts.map((attempt) => attempt.status)).toEqual([500, 500, 500]);
      expect(delivered?.state).toBe('delivered');
      expect(webhooks.stats(REALM)).toEqual({
        sent: 4,
        delivered: 1,
        failed: 1,
        dropped: 0,
        duplicated: 0,
        pendingEvents: 0,
      });
    });

    it('counts a refused connection as a failed attempt', async () => {
      const webhooks = start({ maxAttempts: 2 });
      await receiver.stop();
      receiver = await new Receiver().start(); // a different port; the subscription points at the closed one
      webhooks.notify(change('1'));
      await waitFor('the second attempt', () => webhooks.stats(REALM).failed === 1);
      const [record] = webhooks.deliveries(REALM);
      expect(record?.attempts).toHaveLength(2);
      expect(record?.attempts[0]?.error).toMatch(/ECONNREFUSED/);
    });
  });

  describe('faults', () => {
    it('dropRate 1 sends nothing and records the batches as dropped', async () => {
      const webhooks = start({ maxBatchSize: 1 });
      webhooks.setFaults(REALM, { dropRate: 1 });
      webhooks.notify(change('1'));
      webhooks.notify(change('2'));
      await webhooks.flush();
      expect(receiver.requests).toHaveLength(0);
      expect(webhooks.deliveries(REALM).map((record) => [record.state, record.attempts.length])).toEqual([
        ['dropped', 0],
        ['dropped', 0],
      ]);
      expect(webhooks.stats(REALM)).toMatchObject({ sent: 0, dropped: 2, pendingEvents: 0 });
    });

    it('duplicateRate 1 sends every body twice with the same signature', async () => {
      const webhooks = start({ maxBatchSize: 1 });
      webhooks.setFaults(REALM, { duplicateRate: 1 });
      webhooks.notify(change('1'));
      webhooks.notify(change('2'));
      await waitFor('four requests', () => receiver.requests.length === 4);
      await webhooks.flush();
      const [a1, a2, b1, b2] = receiver.requests;
      expect(legacyIds(a1?.body ?? '')).toEqual(['1']);
      expect(legacyIds(b1?.body ?? '')).toEqual(['2']);
      expect(a2?.body).toBe(a1?.body);
      expect(a2?.headers['intuit-signature']).toBe(a1?.headers['intuit-signature']);
      expect(b2?.body).toBe(b1?.body);
      expect(b2?.headers['intuit-signature']).toBe(b1?.headers['intuit-signature']);
      expect(webhooks.deliveries(REALM).map((record) => [record.duplicated, record.attempts.length])).toEqual(
        [
          [true, 2],
          [true, 2],
        ],
      );
      expect(webhooks.stats(REALM)).toMatchObject({ sent: 4, delivered: 2, duplicated: 2 });
    });

    it('reorder sends waiting batches out of order, reproducibly for a seed', async () => {
      const arrivalOrder = async (seed: number): Promise<string[]> => {
        receiver.requests.length = 0;
        const webhooks = new WebhookDispatcher({ maxBatchSize: 1, random: seeded(seed) });
        dispatcher = webhooks;
        webhooks.subscribe(REALM, { url: receiver.url, verifierToken: TOKEN, format: 'legacy' });
        webhooks.setFaults(REALM, { reorder: true });
        for (const id of ['1', '2', '3', '4', '5', '6', '7', '8']) webhooks.notify(change(id));
        await webhooks.flush();
        await webhooks.close();
        return receiver.requests.map((request) => legacyIds(request.body)[0] ?? '');
      };
      const first = await arrivalOrder(42);
      expect([...first].sort()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
      expect(first).not.toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
      expect(await arrivalOrder(42)).toEqual(first);
    });

    it('reorder lets later batches overtake a failing one', async () => {
      receiver.reply = (request) => ({ status: legacyIds(request.body)[0] === 'A' ? 500 : 200 });
      // After A's second failure it waits 10 s × 0.01 = 100 ms; B and C go meanwhile.
      const webhooks = start({ maxBatchSize: 1, maxAttempts: 3, timeFactor: 0.01, random: seeded(7) });
      webhooks.setFaults(REALM, { reorder: true });
      webhooks.notify(change('A'));
      await waitFor('A to fail twice', () => receiver.requests.length === 2);
      webhooks.notify(change('B'));
      webhooks.notify(change('C'));
      await waitFor('A to be given up', () => webhooks.stats(REALM).failed === 1);
      const order = receiver.requests.map((request) => legacyIds(request.body)[0]);
      expect(order.slice(0, 2)).toEqual(['A', 'A']);
      expect(order.slice(2, 4).sort()).toEqual(['B', 'C']);
      expect(order[4]).toBe('A');
      expect(webhooks.stats(REALM)).toMatchObject({ delivered: 2, failed: 1 });
    });

    it('delayMs postpones every send by real milliseconds', async () => {
      receiver.reply = (_request, index) => ({ status: index === 0 ? 500 : 200 });
      const webhooks = start({ timeFactor: 0.001 });
      webhooks.setFaults(REALM, { delayMs: 120 });
      const started = performance.now();
      webhooks.notify(change('1'));
      await webhooks.flush();
      expect(receiver.requests).toHaveLength(1);
      expect((receiver.requests[0]?.at ?? 0) - started).toBeGreaterThanOrEqual(115);
      await waitFor('the retry', () => receiver.requests.length === 2);
      const gap = (receiver.requests[1]?.at ?? 0) - (receiver.requests[0]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(115);
    });

    it('rejects fault rates outside 0..1', () => {
      const webhooks = start();
      expect(() => webhooks.setFaults(REALM, { dropRate: 1.5 })).toThrow(RangeError);
      expect(() => webhooks.setFaults(REALM, { duplicateRate: -0.1 })).toThrow(RangeError);
    });
  });

  describe('lifecycle', () => {
    it('unsubscribe stops notifications and abandons a batch waiting for its retry', async () => {
      receiver.reply = () => ({ status: 500 });
      const webhooks = start({ timeFactor: 0.02 }); // the second retry waits 200 ms
      webhooks.notify(change('1'));
      await waitFor('two attempts', () => receiver.requests.length === 2);
      webhooks.unsubscribe(REALM);
      expect(webhooks.subscription(REALM)).toBeUndefined();
      webhooks.notify(change('2'));
      // A realm failing the same way from now on: its second retry waits as long as the abandoned one and comes later.
      webhooks.subscribe(SENTINEL, { url: receiver.url, verifierToken: TOKEN, format: 'legacy' });
      webhooks.notify(change('s', { realmId: SENTINEL }));
      await waitFor("the sentinel's second retry", () => sentTo(SENTINEL).length === 3);
      expect(sentTo(REALM)).toHaveLength(2);
      expect(webhooks.deliveries(REALM).map((record) => record.state)).toEqual(['failed']);
      expect(webhooks.stats(REALM)).toMatchObject({ failed: 1, pendingEvents: 0 });
    });

    it('unsubscribe inside the batch window sends nothing', async () => {
      const webhooks = start({ batchWindowMs: 30 });
      webhooks.notify(change('1'));
      webhooks.unsubscribe(REALM);
      // A window opened after the abandoned one closes after it.
      webhooks.subscribe(SENTINEL, { url: receiver.url, verifierToken: TOKEN, format: 'legacy' });
      webhooks.notify(change('s', { realmId: SENTINEL }));
      await waitFor("the sentinel's batch", () => sentTo(SENTINEL).length === 1);
      await webhooks.flush();
      expect(sentTo(REALM)).toHaveLength(0);
      expect(webhooks.deliveries(REALM)).toEqual([]);
    });

    it('close() aborts the request in flight and cancels retry and batch-window timers', async () => {
      receiver.reply = (request) =>
        legacyIds(request.body)[0] === 'slow' ? { status: 200, delayMs: 2000 } : { status: 500 };
      const webhooks = start({ timeFactor: 0.005, batchWindowMs: 50 }); // the second retry waits 50 ms
      for (const realmId of ['retrying', 'windowed']) {
        webhooks.subscribe(realmId, { url: receiver.url, verifierToken: TOKEN, format: 'legacy' });
      }
      webhooks.notify(change('slow'));
      webhooks.notify(change('retry', { realmId: 'retrying' }));
      await waitFor('two failed attempts', () => webhooks.deliveries('retrying')[0]?.attempts.length === 2);
      await waitFor('the slow request', () => receiver.requests.length === 3);
      webhooks.notify(change('windowed', { realmId: 'windowed' }));

      const started = performance.now();
      await webhooks.close();
      expect(performance.now() - started).toBeLessThan(500);
      // A dispatcher of the same timings, its window opened now, sends after the parked retry and the window were due.
      const sentinel = new WebhookDispatcher({ timeFactor: 0.005, batchWindowMs: 50 });
      try {
        sentinel.subscribe(SENTINEL, { url: receiver.url, verifierToken: TOKEN, format: 'legacy' });
        sentinel.notify(change('s', { realmId: SENTINEL }));
        await waitFor("the sentinel's batch", () => sentTo(SENTINEL).length === 1);
      } finally {
        await sentinel.close();
      }
      expect(receiver.requests.length - sentTo(SENTINEL).length).toBe(3);

      const [slow] = webhooks.deliveries(REALM);
      expect(slow?.state).toBe('failed');
      expect(slow?.attempts.map((attempt) => attempt.error)).toEqual(['aborted']);
      const [retry] = webhooks.deliveries('retrying');
      expect(retry?.state).toBe('failed');
      expect(retry?.attempts.map((attempt) => attempt.status)).toEqual([500, 500]);
      expect(webhooks.deliveries('windowed')).toEqual([]);
      expect(webhooks.stats('windowed').pendingEvents).toBe(0);
      webhooks.notify(change('after close'));
      expect(webhooks.stats(REALM).pendingEvents).toBe(0);
    });
  });
});
