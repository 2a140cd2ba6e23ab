import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Connection } from 'mongoose';
import { QboAccess, qboAccessSettings } from '../../src/activities/qbo-access';
import { accountModel, webhookSecretBinding } from '../../src/accounts/models';
import { loadConfig } from '../../src/config';
import { deliverDue, listAttempts, redeliver } from '../../src/outbound/delivery';
import {
  eventId,
  outboundEventModel,
  recordEvents,
  type EventDraft,
  type OutboundEventRecord,
} from '../../src/outbound/events';
import { generateWebhookSecret, verifySignature } from '../../src/outbound/signing';
import { KeyRing } from '../../src/security/encryption';
import { OutboundGuard, type OutboundPolicy, type Resolve } from '../../src/security/outbound-url';
import { searchAttributes } from '../../src/temporal/search-attributes';
import { queueWebhookDelivery, webhookDispatchWorkflowId } from '../../src/temporal/webhook-dispatch';
import { createWorker } from '../../src/worker/create-worker';
import {
  eventually,
  openTemporalClient,
  openTestDatabase,
  temporalAddress,
  uniqueName,
  workflowBundlePath,
  type TestDatabase,
} from '../support/env';
import { unindexed, watchOperations } from '../support/query-plans';

/** A status, a status with headers (a redirect), or no answer at all. */
type Answer = number | { status: number; headers: Record<string, string> } | 'hang';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  verified: boolean;
}

/** The CRM's side: a loopback endpoint that checks every signature and answers as it is told (200 by default). */
interface Receiver {
  url: string;
  received: Received[];
  answers: Answer[];
  /** TCP connections accepted, whether or not a request followed. */
  connections: number;
  /** Runs (and is waited for) before each answer. */
  onRequest?: (() => Promise<unknown> | void) | undefined;
  close(): Promise<void>;
}

async function startReceiver(secret: string, clock: () => Date): Promise<Receiver> {
  const received: Received[] = [];
  const answers: Answer[] = [];
  const receiver = {} as Receiver;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => void answer());
    const answer = async (): Promise<void> => {
      await receiver.onRequest?.();
      const body = Buffer.concat(chunks).toString('utf8');
      const header = String(request.headers['qbosync-signature']);
      received.push({
        headers: request.headers,
        body,
        verified: verifySignature(secret, body, header, clock()),
      });
      const answer = answers.shift() ?? 200;
      // A hung endpoint never answers: only the sender's timeout ends the request.
      if (answer === 'hang') return;
      if (typeof answer === 'number') response.writeHead(answer).end();
      else response.writeHead(answer.status, answer.headers).end();
    };
  });
  server.on('connection', () => void (receiver.connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/crm/webhooks`,
    received,
    answers,
    connections: 0,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  });
}

describe('outbound webhooks: signed, retried, logged, and dispatched by a workflow', () => {
  const keyRing = new KeyRing([{ version: 'v1', key: randomBytes(32) }]);
  let db: TestDatabase;
  let conn: Connection;
  const receivers: Receiver[] = [];
  /** A test clock: retries come due by moving it, never by waiting. */
  let clockMs = Date.now();
  const clock = () => new Date(clockMs);

  beforeAll(async () => {
    db = await openTestDatabase('outbound');
    conn = db.mongoose.connection;
  });
  afterAll(async () => {
    await Promise.all(receivers.map((receiver) => receiver.close()));
    await db?.close();
  });

  /** An account whose endpoint is a fresh receiver (or none), with its secret sealed as the API would. */
  async function accountWithReceiver(
    options: { enabled?: boolean; url?: string; noWebhook?: boolean; receiverClock?: () => Date } = {},
  ) {
    const accountId = uniqueName('acct');
    const secret = generateWebhookSecret();
    const receiver = await startReceiver(secret, options.receiverClock ?? clock);
    receivers.push(receiver);
    await accountModel(conn).create({
      _id: accountId,
      name: accountId,
      settings: {},
      ...(options.noWebhook
        ? {}
        : {
            webhook: {
              url: options.url ?? receiver.url,
              secret: keyRing.seal(secret, webhookSecretBinding(accountId)),
              enabled: options.enabled ?? true,
            },
          }),
    });
    return { accountId, receiver };
  }

  /** Stores one event per key, a millisecond apart and all due by `at`, so their order is unambiguous. */
  async function record(accountId: string, keys: string[], at = clock()): Promise<OutboundEventRecord[]> {
    const stored: OutboundEventRecord[] = [];
    for (const [index, key] of keys.entries()) {
      const [event] = await recordEvents(
        conn,
        [{ accountId, connectionId: 'conn_1', type: 'contact.updated', dedupeKey: key, data: { key } }],
        { hasEndpoint: true, now: new Date(at.getTime() - keys.length + index) },
      );
      stored.push(event!);
    }
    return stored;
  }

  const guards: OutboundGuard[] = [];
  afterAll(() => Promise.all(guards.map((guard) => guard.close())));
  const guard = (policy: OutboundPolicy, resolve?: Resolve): OutboundGuard => {
    const made = new OutboundGuard(policy, resolve);
    guards.push(made);
    return made;
  };
  /** The receivers listen on loopback: these tests run as local development does, unless a test says otherwise. */
  const local = guard({ allowPrivateNetworks: true });
  const publicOnly = { allowPrivateNetworks: false };

  const deliver = (accountId: string, extra: Partial<Parameters<typeof deliverDue>[0]> = {}) =>
    deliverDue({
      db: conn,
      keyRing,
      guard: local,
      accountId,
      now: clock,
      timeoutMs: 2000,
      batchSize: 10,
      ...extra,
    });
  const stored = (id: string) => outboundEventModel(conn).findById(id).lean();

  it('delivers events signed, one at a time, oldest first, and logs each attempt', async () => {
    const { accountId, receiver } = await accountWithReceiver();
    const events = await record(accountId, ['c', 'a', 'b']);

    expect(await deliver(accountId)).toEqual({ delivered: 3, failed: 0 });

    expect(receiver.received.map((request) => JSON.parse(request.body).id)).toEqual(events.map((e) => e._id));
    for (const [index, request] of receiver.received.entries()) {
      const event = events[index]!;
      expect(request.verified).toBe(true);
      expect(request.headers).toMatchObject({
        'content-type': 'application/json',
        'qbosync-event-id': event._id,
        'user-agent': 'qbo-sync-webhooks/1',
        'qbosync-signature': expect.stringMatching(/^t=\d+,v1=[0-9a-f]{64}$/),
      });
      expect(JSON.parse(request.body)).toEqual({
        id: event._id,
        type: 'contact.updated',
        createdAt: event.createdAt.toISOString(),
        accountId,
        connectionId: 'conn_1',
        data: { key: event.data.key },
      });
      expect((await stored(event._id))?.delivery).toMatchObject({ status: 'delivered', attempts: 1 });
      expect(await listAttempts(conn, accountId, event._id)).toEqual([
        expect.objectContaining({ url: receiver.url, statusCode: 200, durationMs: expect.any(Number) }),
      ]);
    }
    // Nothing is due twice.
    expect(await deliver(accountId)).toEqual({ delivered: 0, failed: 0 });
    expect(receiver.received).toHaveLength(3);
  });

  it('retries a 500 on the backoff schedule, and the log shows both attempts', async () => {
    const { accountId, receiver } = await accountWithReceiver();
    const [event] = await record(accountId, ['retry-me']);
    receiver.answers.push(500);
    const firstAt = clockMs;

    const first = await deliver(accountId, { random: () => 0.5 });
    expect(first).toEqual({ delivered: 0, failed: 1, nextDueAt: new Date(firstAt + 30_000).toISOString() });
    expect((await stored(event!._id))?.delivery).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'HTTP 500',
      nextAttemptAt: new Date(firstAt + 30_000),
    });

    clockMs += 10_000; // not due yet
    expect(await deliver(accountId)).toEqual({ delivered: 0, failed: 0, nextDueAt: first.nextDueAt });
    clockMs += 25_000;
    expect(await deliver(accountId)).toEqual({ delivered: 1, failed: 0 });

    expect(receiver.received).toHaveLength(2);
    expect(receiver.received.every((request) => request.verified)).toBe(true);
    expect(await listAttempts(conn, accountId, event!._id)).toEqual([
      expect.objectContaining({ statusCode: 500, error: 'HTTP 500', at: new Date(firstAt) }),
      expect.objectContaining({ statusCode: 200, at: new Date(firstAt + 35_000) }),
    ]);
    expect((await stored(event!._id))?.delivery).toMatchObject({ status: 'delivered', attempts: 2 });
    expect((await stored(event!._id))?.delivery.lastError).toBeUndefined();
  });

  it('counts timeouts and unreachable endpoints as failures, and gives up after maxAttempts', async () => {
    const { accountId, receiver } = await accountWithReceiver();
    const [event] = await record(accountId, ['slow']);
    receiver.answers.push('hang', 'hang');

    const started = Date.now();
    expect(await deliver(accountId, { timeoutMs: 200, maxAttempts: 2 })).toMatchObject({ failed: 1 });
    // The receiver never answers: only the timeout can have ended both attempts (bounded loosely for a busy CI).
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await stored(event!._id))?.delivery).toMatchObject({
      status: 'pending',
      lastError: 'timeout after 200 ms',
    });
    clockMs += 60_000;
    expect(await deliver(accountId, { timeoutMs: 200, maxAttempts: 2 })).toEqual({ delivered: 0, failed: 1 });
    const given = await stored(event!._id);
    expect(given?.delivery).toMatchObject({ status: 'failed', attempts: 2 });
    expect(given?.delivery.nextAttemptAt).toBeUndefined();
    expect(await listAttempts(conn, accountId, event!._id)).toEqual([
      expect.objectContaining({ error: 'timeout after 200 ms' }),
      expect.objectContaining({ error: 'timeout after 200 ms' }),
    ]);
    expect((await listAttempts(conn, accountId, event!._id))[0]?.statusCode).toBeUndefined();

    // Nothing listens on a closed port: a network error, recorded and retried like any other failure.
    const closed = await startReceiver('unused', clock);
    await closed.close();
    const unreachable = await accountWithReceiver({ url: closed.url });
    const [lost] = await record(unreachable.accountId, ['lost']);
    expect(await deliver(unreachable.accountId)).toMatchObject({ delivered: 0, failed: 1 });
    expect((await stored(lost!._id))?.delivery).toMatchObject({
      status: 'pending',
      lastError: expect.stringMatching(/fetch failed.*ECONNREFUSED/),
    });
  });

  it('redelivers a delivered or failed event on request, as a new series of attempts', async () => {
    const { accountId, receiver } = await accountWithReceiver();
    const [event] = await record(accountId, ['again']);
    await deliver(accountId);
    expect(receiver.received).toHaveLength(1);

    expect(await redeliver(conn, accountId, event!._id, clock())).toBe(true);
    expect((await stored(event!._id))?.delivery).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await deliver(accountId)).toEqual({ delivered: 1, failed: 0 });
    expect(receiver.received.map((request) => request.headers['qbosync-event-id'])).toEqual([
      event!._id,
      event!._id,
    ]);

    await outboundEventModel(conn).updateOne({ _id: event!._id }, { $set: { 'delivery.status': 'failed' } });
    expect(await redeliver(conn, accountId, event!._id, clock())).toBe(true);
    expect(await deliver(accountId)).toEqual({ delivered: 1, failed: 0 });
    expect(await listAttempts(conn, accountId, event!._id)).toHaveLength(3);
  });

  it('sets events of an account without an enabled endpoint to no_endpoint, and sends them once it has one', async () => {
    const { accountId, receiver } = await accountWithReceiver({ enabled: false });
    const [event] = await record(accountId, ['nowhere']);
    expect(await deliver(accountId)).toEqual({ delivered: 0, failed: 0 });
    expect((await stored(event!._id))?.delivery).toMatchObject({ status: 'no_endpoint' });
    // Redelivery needs an endpoint: the event is found and left as it is.
    expect(await redeliver(conn, accountId, event!._id, clock())).toBe(true);
    expect((await stored(event!._id))?.delivery.status).toBe('no_endpoint');

    await accountModel(conn).updateOne({ _id: accountId }, { $set: { 'webhook.enabled': true } });
    expect(await redeliver(conn, accountId, event!._id, clock())).toBe(true);
    expect(await deliver(accountId)).toEqual({ delivered: 1, failed: 0 });
    expect(receiver.received).toHaveLength(1);

    const bare = await accountWithReceiver({ noWebhook: true });
    const [orphan] = await record(bare.accountId, ['orphan']);
    await deliver(bare.accountId);
    expect((await stored(orphan!._id))?.delivery).toMatchObject({ status: 'no_endpoint' });
  });

  it('records a redirect as a failed attempt and never follows it', async () => {
    const target = await accountWithReceiver();
    const { accountId, receiver } = await accountWithReceiver();
    const [event] = await record(accountId, ['moved']);
    receiver.answers.push({ status: 307, headers: { location: target.receiver.url } });

    expect(await deliver(accountId)).toMatchObject({ delivered: 0, failed: 1 });
    expect(receiver.received).toHaveLength(1);
    expect(target.receiver.connections).toBe(0);
    expect((await stored(event!._id))?.delivery).toMatchObject({
      status: 'pending',
      lastError: 'HTTP 307: redirects are not followed; set the endpoint to the final URL',
    });
    expect(await listAttempts(conn, accountId, event!._id)).toEqual([
      expect.objectContaining({ statusCode: 307, error: expect.stringContaining('not followed') }),
    ]);
  });

  describe('outside development: public addresses over https only, judged when connecting', () => {
    /** An account whose stored endpoint is `url` (as if it had passed the API's check when set), and its receiver. */
    async function refusedDelivery(url: (port: string) => string, resolve?: Resolve) {
      const { accountId, receiver } = await accountWithReceiver();
      const port = new URL(receiver.url).port;
      await accountModel(conn).updateOne({ _id: accountId }, { $set: { 'webhook.url': url(port) } });
      const [event] = await record(accountId, [`refused-${accountId}`]);
      const outcome = await deliver(accountId, { guard: guard(publicOnly, resolve) });
      return {
        outcome,
        receiver,
        event: await stored(event!._id),
        attempts: await listAttempts(conn, accountId, event!._id),
      };
    }

    it('refuses a name that now resolves to a private address (DNS rebinding), before connecting', async () => {
      const { outcome, receiver, event, attempts } = await refusedDelivery(
        (port) => `https://localhost:${port}/crm/webhooks`,
      );
      expect(outcome).toMatchObject({ delivered: 0, failed: 1 });
      expect(receiver.connections).toBe(0);
      const refusal = expect.stringMatching(
        /^not sent: the endpoint URL must point to a public address: its host localhost resolves to (127\.0\.0\.1|::1), a loopback address$/,
      );
      // A failed attempt like any other: logged, and retried later in case the name points elsewhere by then.
      expect(event?.delivery).toMatchObject({ status: 'pending', attempts: 1, lastError: refusal });
      expect(attempts).toEqual([expect.objectContaining({ error: refusal })]);
      expect(attempts[0]?.statusCode).toBeUndefined();
    });

    it('refuses loopback however it is written, plain http, and user-info, without connecting', async () => {
      for (const [url, reason] of [
        [(port: string) => `https://2130706433:${port}/`, 'its host is 127.0.0.1, a loopback address'],
        [(port: string) => `https://0x7f.1:${port}/`, 'its host is 127.0.0.1, a loopback address'],
        [
          (port: string) => `https://[::ffff:127.0.0.1]:${port}/`,
          'its host is 127.0.0.1, a loopback address',
        ],
        [(port: string) => `http://93.184.215.14:${port}/`, 'must be an https URL (this one is http:)'],
        [
          (port: string) => `https://93.184.215.14@127.0.0.1:${port}/`,
          'must not carry a user name or password',
        ],
      ] as const) {
        const { receiver, event } = await refusedDelivery(url);
        expect({ url: url('port'), lastError: event?.delivery.lastError }).toEqual({
          url: url('port'),
          lastError: expect.stringContaining(reason),
        });
        expect(receiver.connections).toBe(0);
      }
    });

    it('connects to exactly the addresses it judged: one resolution, every address checked', async () => {
      // A name no real resolver knows: a delivery can reach the receiver only through the addresses given here.
      const asked: string[] = [];
      const resolveTo =
        (...addresses: string[]): Resolve =>
        (hostname) => {
          asked.push(hostname);
          return Promise.resolve(
            addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
          );
        };
      const allowed = await accountWithReceiver();
      const port = new URL(allowed.receiver.url).port;
      await accountModel(conn).updateOne(
        { _id: allowed.accountId },
        { $set: { 'webhook.url': `http://crm.qbo-sync.test:${port}/crm/webhooks` } },
      );
      await record(allowed.accountId, [`resolved-${allowed.accountId}`]);
      const viaResolver = guard({ allowPrivateNetworks: true }, resolveTo('127.0.0.1'));
      expect(await deliver(allowed.accountId, { guard: viaResolver })).toMatchObject({ delivered: 1 });
      expect(allowed.receiver.received).toHaveLength(1);
      expect(asked).toEqual(['crm.qbo-sync.test']);

      // The same path refuses when any address answered is private, and resolves only once to decide.
      asked.length = 0;
      const { receiver, event } = await refusedDelivery(
        (refusedPort) => `https://crm.qbo-sync.test:${refusedPort}/crm/webhooks`,
        resolveTo('93.184.215.14', '127.0.0.1'),
      );
      expect(event?.delivery.lastError).toBe(
        'not sent: the endpoint URL must point to a public address: its host crm.qbo-sync.test resolves to 127.0.0.1, a loopback address',
      );
      expect(receiver.connections).toBe(0);
      expect(asked).toEqual(['crm.qbo-sync.test']);
    });
  });

  it("never redelivers or shows another account's event", async () => {
    const owner = await accountWithReceiver();
    const intruder = await accountWithReceiver();
    const [event] = await record(owner.accountId, ['private']);
    await deliver(owner.accountId);

    expect(await redeliver(conn, intruder.accountId, event!._id, clock())).toBe(false);
    expect(await redeliver(conn, owner.accountId, 'evt_missing', clock())).toBe(false);
    expect((await stored(event!._id))?.delivery.status).toBe('delivered');
    expect(await listAttempts(conn, intruder.accountId, event!._id)).toEqual([]);
    expect(await deliver(intruder.accountId)).toEqual({ delivered: 0, failed: 0 });
    expect(intruder.receiver.received).toHaveLength(0);
    expect(owner.receiver.received).toHaveLength(1);
  });

  /** The account's pending events, in the order the dispatcher sends them. */
  const queued = async (accountId: string) =>
    (
      await outboundEventModel(conn)
        .find({ accountId, 'delivery.status': 'pending' })
        .sort({ 'delivery.nextAttemptAt': 1, createdAt: 1, _id: 1 })
        .lean()
    ).map((event) => event._id);

  const growing = ['outbound_events', 'webhook_attempts'];

  it('delivers pending events oldest first, retries a failed one later, and reads only through indexes', async () => {
    const { accountId, receiver } = await accountWithReceiver();
    // Recorded newest first: the order is the events' time, not the order they were stored in.
    const base = clock().getTime();
    const recorded: OutboundEventRecord[] = [];
    for (const [index, key] of ['late', 'middle', 'early'].entries()) {
      const [event] = await recordEvents(
        conn,
        [{ accountId, connectionId: 'conn_1', type: 'contact.updated', dedupeKey: key, data: { key } }],
        { hasEndpoint: true, now: new Date(base - 10 * index) },
      );
      recorded.unshift(event!);
    }
    const inOrder = recorded.map((event) => event._id);
    expect(await queued(accountId)).toEqual(inOrder);

    // The first of them fails once; the others go out in order meanwhile, two per run.
    receiver.answers.push(500);
    const { result: first, operations } = await watchOperations(conn, growing, () =>
      deliver(accountId, { batchSize: 2, random: () => 0.5 }),
    );
    // The third is due but over the batch: the dispatcher goes again at once.
    expect(first).toEqual({ delivered: 1, failed: 1, nextDueAt: new Date(base).toISOString() });
    expect(operations.length).toBeGreaterThan(0);
    expect(await unindexed(conn, operations)).toEqual([]);
    expect(await queued(accountId)).toEqual([inOrder[2], inOrder[0]]);

    expect(await deliver(accountId, { batchSize: 2 })).toEqual({
      delivered: 1,
      failed: 0,
      nextDueAt: new Date(base + 30_000).toISOString(),
    });
    expect(await queued(accountId)).toEqual([inOrder[0]]);
    clockMs += 31_000;
    expect(await deliver(accountId, { batchSize: 2 })).toEqual({ delivered: 1, failed: 0 });
    expect(await queued(accountId)).toEqual([]);
    expect(receiver.received.map((request) => request.headers['qbosync-event-id'])).toEqual([
      inOrder[0],
      inOrder[1],
      inOrder[2],
      inOrder[0],
    ]);
    for (const id of inOrder) expect((await stored(id))?.delivery.status).toBe('delivered');
  });

  it('records each event once with one insert, and never sends one that was sent already', async () => {
    const { accountId, receiver } = await accountWithReceiver();
    const draft = (key: string): EventDraft => ({
      accountId,
      connectionId: 'conn_1',
      type: 'contact.updated',
      // Event ids are scoped by connection: the account makes these keys unlike other tests'.
      dedupeKey: `${accountId}:${key}`,
      data: { key },
    });
    const { result: firstRun, operations } = await watchOperations(conn, growing, () =>
      recordEvents(conn, [draft('a'), draft('b'), draft('a')], { hasEndpoint: true, now: clock() }),
    );
    expect(firstRun.map((event) => event._id)).toEqual([eventId(draft('a')), eventId(draft('b'))]);
    expect(operations.map((operation) => `${operation.collection}.${operation.method}`)).toEqual([
      'outbound_events.insertMany',
    ]);
    expect(await queued(accountId)).toHaveLength(2);

    // A replay stores nothing twice.
    const again = await recordEvents(conn, [draft('b'), draft('c')], { hasEndpoint: true, now: clock() });
    expect(again.map((event) => event._id)).toEqual([eventId(draft('c'))]);
    expect(await deliver(accountId)).toEqual({ delivered: 3, failed: 0 });
    // Replayed after delivery: not new, not pending, not sent again.
    expect(await recordEvents(conn, [draft('a')], { hasEndpoint: true, now: clock() })).toEqual([]);
    expect(await queued(accountId)).toEqual([]);
    expect(await deliver(accountId)).toEqual({ delivered: 0, failed: 0 });
    expect(receiver.received).toHaveLength(3);
  });

  it('collapses a redelivery request with a pending retry into one attempt', async () => {
    const { accountId, receiver } = await accountWithReceiver();
    const [event] = await record(accountId, ['twice-asked']);
    receiver.answers.push(503);
    expect(await deliver(accountId)).toMatchObject({ delivered: 0, failed: 1 });
    expect(await queued(accountId)).toEqual([event!._id]);

    expect(await redeliver(conn, accountId, event!._id, clock())).toBe(true);
    expect(await queued(accountId)).toEqual([event!._id]);
    expect(await deliver(accountId)).toEqual({ delivered: 1, failed: 0 });
    expect(await queued(accountId)).toEqual([]);
    expect(receiver.received).toHaveLength(2);
  });

  it('keeps a redelivery requested while an attempt of the same event is under way', async () => {
    const { accountId, receiver } = await accountWithReceiver();
    const [event] = await record(accountId, ['asked-mid-flight']);
    // The endpoint takes the first attempt, and the CRM asks for the event again before the answer is recorded.
    let requested: Promise<boolean> | undefined;
    receiver.onRequest = () => (requested ??= redeliver(conn, accountId, event!._id, clock()));
    // Delivered, and due again at once.
    expect(await deliver(accountId)).toEqual({ delivered: 1, failed: 0, nextDueAt: clock().toISOString() });
    expect(await requested).toBe(true);
    receiver.onRequest = undefined;
    // The request stands: the event is pending again, and goes out once more.
    expect((await stored(event!._id))?.delivery.status).toBe('pending');
    expect(await deliver(accountId)).toEqual({ delivered: 1, failed: 0 });
    expect(receiver.received).toHaveLength(2);
    expect((await stored(event!._id))?.delivery.status).toBe('delivered');
  });

  describe('the dispatcher workflow, on a worker from createWorker()', () => {
    let temporal: Awaited<ReturnType<typeof openTemporalClient>>;
    let client: Client;
    let nativeConnection: NativeConnection;
    let worker: Worker;
    let workerRun: Promise<void>;
    const taskQueue = uniqueName('webhooks');
    const realClock = () => new Date();

    beforeAll(async () => {
      temporal = await openTemporalClient();
      client = temporal.client;
      nativeConnection = await NativeConnection.connect({ address: temporalAddress() });
      worker = await createWorker({
        connection: nativeConnection,
        namespace: 'default',
        taskQueue,
        db: conn,
        // The worker opens webhook secrets with the token key ring.
        qbo: new QboAccess(conn, { ...qboAccessSettings(loadConfig({})), keys: keyRing }),
        outbound: local,
        workflowBundlePath: workflowBundlePath(),
      });
      workerRun = worker.run();
    });
    afterAll(async () => {
      worker?.shutdown();
      await workerRun;
      await nativeConnection?.close();
      await temporal?.close();
    });

    it('delivers queued events end to end, and wakes early for a redelivery', async () => {
      const { accountId, receiver } = await accountWithReceiver({ receiverClock: realClock });
      const events = await record(accountId, ['one', 'two', 'three'], new Date());
      await queueWebhookDelivery(client, accountId, taskQueue);

      await eventually(
        () => outboundEventModel(conn).countDocuments({ accountId, 'delivery.status': 'delivered' }),
        (count) => count === 3,
      );
      expect(receiver.received.map((request) => request.headers['qbosync-event-id'])).toEqual(
        events.map((event) => event._id),
      );
      expect(receiver.received.every((request) => request.verified)).toBe(true);
      const handle = client.workflow.getHandle(webhookDispatchWorkflowId(accountId));
      const description = await handle.describe();
      expect(description.typedSearchAttributes.get(searchAttributes.accountId)).toBe(accountId);
      expect(description.status.name).toBe('RUNNING');

      // A failed delivery waits ~30 s for its retry; a redelivery request must not.
      receiver.answers.push(503);
      const [late] = await record(accountId, ['four'], new Date());
      await queueWebhookDelivery(client, accountId, taskQueue);
      const waiting = await eventually(
        () => stored(late!._id),
        (found) => found?.delivery.attempts === 1,
      );
      expect(waiting?.delivery).toMatchObject({ status: 'pending', lastError: 'HTTP 503' });
      expect(waiting!.delivery.nextAttemptAt!.getTime() - Date.now()).toBeGreaterThan(20_000);

      const asked = Date.now();
      expect(await redeliver(conn, accountId, late!._id, new Date())).toBe(true);
      await queueWebhookDelivery(client, accountId, taskQueue);
      const done = await eventually(
        () => stored(late!._id),
        (found) => found?.delivery.status === 'delivered',
      );
      expect(done?.delivery.status).toBe('delivered');
      expect(
        await eventually(
          () => queued(accountId),
          (ids) => ids.length === 0,
        ),
      ).toEqual([]);
      expect(Date.now() - asked).toBeLessThan(10_000);
      expect((await listAttempts(conn, accountId, late!._id)).map((attempt) => attempt.statusCode)).toEqual([
        503, 200,
      ]);
    });

    it('announceEvents reaches Temporal through the worker client and starts the dispatcher', async () => {
      const { accountId, receiver } = await accountWithReceiver({ receiverClock: realClock });
      const [event] = await record(accountId, ['announced'], new Date());

      // The probe runs on a queue of its own; its activity runs on the real worker's queue.
      const probeQueue = uniqueName('probe');
      const probeWorker = await Worker.create({
        connection: nativeConnection,
        namespace: 'default',
        taskQueue: probeQueue,
        workflowsPath: require.resolve('./announce-probe-workflow'),
      });
      await probeWorker.runUntil(
        client.workflow.execute('announceProbeWorkflow', {
          workflowId: uniqueName('announce-probe'),
          taskQueue: probeQueue,
          args: [{ accountIds: [accountId, accountId], activityTaskQueue: taskQueue }],
        }),
      );

      await eventually(
        () => stored(event!._id),
        (found) => found?.delivery.status === 'delivered',
      );
      expect(receiver.received.map((request) => request.headers['qbosync-event-id'])).toEqual([event!._id]);
      const description = await client.workflow.getHandle(webhookDispatchWorkflowId(accountId)).describe();
      expect(description.taskQueue).toBe(taskQueue);
    });
  });
});
