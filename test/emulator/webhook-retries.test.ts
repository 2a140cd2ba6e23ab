import { systemClock } from '../../src/emulator/clock';
import { retryDelayMs } from '../../src/emulator/webhooks/retry';
import { eventually } from '../support/env';
import {
  startTestEmulator,
  startWebhookReceiver,
  type QboClient,
  type TestEmulator,
  type WebhookReceiver,
} from '../support/emulator';

interface Delivery {
  state: string;
  attempts: { at: string; status?: number }[];
}

interface Notified {
  realmId: string;
  ids: string[];
}

/** The realm and entity ids of one legacy `eventNotifications` body. */
function notified(body: string): Notified[] {
  const parsed = JSON.parse(body) as {
    eventNotifications: { realmId: string; dataChangeEvent: { entities: { id: string }[] } }[];
  };
  return parsed.eventNotifications.map((notification) => ({
    realmId: notification.realmId,
    ids: notification.dataChangeEvent.entities.map((entity) => entity.id),
  }));
}

let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** A new company whose webhooks go to a new receiver answering `status` (see startWebhookReceiver). */
async function subscribedCompany(
  emulator: TestEmulator,
  status?: Parameters<typeof startWebhookReceiver>[0],
): Promise<QboClient> {
  receiver = await startWebhookReceiver(status);
  const qbo = await emulator.company();
  await emulator.admin('PUT', `/companies/${qbo.realmId}/webhook`, { url: receiver.url, verifierToken: 'v' });
  return qbo;
}

const deliveries = (emulator: TestEmulator, qbo: QboClient) =>
  emulator.admin('GET', `/companies/${qbo.realmId}/webhook/deliveries`);

/** Creates customers in one `/batch` call, so their changes are published together. */
async function createInOneBatch(qbo: QboClient, names: string[]): Promise<string[]> {
  const response = await qbo.request('POST', '/batch', {
    body: {
      BatchItemRequest: names.map((name, index) => ({
        bId: `b${index}`,
        operation: 'create',
        Customer: { DisplayName: name },
      })),
    },
  });
  return (response.json.BatchItemResponse as { Customer: { Id: string } }[]).map((item) => item.Customer.Id);
}

describe('emulator conformance: webhook retries over HTTP', () => {
  // Intuit's schedule × 0.02: the second retry waits 200 ms. On the system clock, so the log's times are real.
  const timeFactor = 0.02;
  const maxAttempts = 4;
  let emulator: TestEmulator;

  beforeAll(async () => {
    emulator = await startTestEmulator({
      clock: systemClock,
      webhookTimeFactor: timeFactor,
      webhookMaxAttempts: maxAttempts,
    });
  });
  afterAll(() => emulator.close());

  const settledLog = (qbo: QboClient) =>
    eventually(
      () => deliveries(emulator, qbo),
      (log) => ['delivered', 'failed'].includes(log.json.deliveries[0]?.state),
      10_000,
    );

  /** Each wait between attempts in the log is Intuit's interval × the time factor, give or take the timers. */
  function expectScaledWaits(delivery: Delivery): void {
    delivery.attempts.slice(1).forEach((attempt, failures) => {
      const waitedMs = Date.parse(attempt.at) - Date.parse(delivery.attempts[failures]!.at);
      const intervalMs = retryDelayMs(failures + 1) * timeFactor;
      expect(waitedMs).toBeGreaterThanOrEqual(intervalMs - 2);
      expect(waitedMs).toBeLessThan(intervalMs + 1000); // an unscaled wait would be 10 s or more
    });
  }

  it('retries a 500 on Intuit’s schedule scaled by the time factor, and stops at the first 2xx', async () => {
    const answers = [500, 500, 200];
    const qbo = await subscribedCompany(emulator, (_request, index) => answers[index] ?? 200);
    const customer = await qbo.create('Customer', { DisplayName: 'Retried Ltd' });

    const log = await settledLog(qbo);
    const [delivery] = log.json.deliveries as Delivery[];
    expect(delivery!.state).toBe('delivered');
    expect(delivery!.attempts.map((attempt) => attempt.status)).toEqual([500, 500, 200]);
    // Intuit retries at once, then after 10 s: here after 10 s × 0.02 = 200 ms.
    expectScaledWaits(delivery!);
    expect(log.json.stats).toMatchObject({ sent: 3, delivered: 1, failed: 0, pendingEvents: 0 });
    expect(receiver!.requests).toHaveLength(3);
    expect(new Set(receiver!.requests.map((request) => request.body)).size).toBe(1);
    expect(notified(receiver!.requests[0]!.body)).toEqual([{ realmId: qbo.realmId, ids: [customer.Id] }]);
  });

  it('gives a batch up after the configured attempts when the receiver always fails', async () => {
    const qbo = await subscribedCompany(emulator, () => 500);
    await qbo.create('Customer', { DisplayName: 'Never Acknowledged' });

    const log = await settledLog(qbo);
    const [delivery] = log.json.deliveries as Delivery[];
    expect(delivery!.state).toBe('failed');
    expect(delivery!.attempts.map((attempt) => attempt.status)).toEqual([500, 500, 500, 500]);
    expectScaledWaits(delivery!);
    expect(log.json.stats).toMatchObject({ sent: maxAttempts, delivered: 0, failed: 1, pendingEvents: 0 });
    expect(receiver!.requests).toHaveLength(maxAttempts);
  });
});

describe('emulator conformance: webhook delivery faults set over HTTP', () => {
  let emulator: TestEmulator;

  beforeAll(async () => {
    emulator = await startTestEmulator(); // retry intervals × 0.001, batch window 20 ms
  });
  afterAll(() => emulator.close());

  it('batches each realm on its own, and delays only the realm whose delayMs is set', async () => {
    const delayed = await subscribedCompany(emulator);
    const prompt = await emulator.company({ companyName: 'Prompt' });
    await emulator.admin('PUT', `/companies/${prompt.realmId}/webhook`, {
      url: receiver!.url,
      verifierToken: 'v',
    });
    const delayMs = 300;
    const set = await emulator.admin('PUT', `/companies/${delayed.realmId}/faults`, {
      webhooks: { delayMs },
    });
    expect(set.json.webhooks).toEqual({ delayMs });

    const started = performance.now();
    const delayedIds = await createInOneBatch(delayed, ['Slow One', 'Slow Two']);
    const promptIds = await createInOneBatch(prompt, ['Quick One', 'Quick Two']);
    await eventually(
      () => Promise.resolve(receiver!.requests.length),
      (count) => count >= 2,
      5000,
    );
    expect(receiver!.requests.map((request) => notified(request.body))).toEqual([
      [{ realmId: prompt.realmId, ids: promptIds }],
      [{ realmId: delayed.realmId, ids: delayedIds }],
    ]);
    expect(receiver!.requests[1]!.at - started).toBeGreaterThanOrEqual(delayMs);
  });

  it('keeps later batches behind a failing one, until reorder is switched on through the admin API', async () => {
    let failingBody: string | undefined;
    const qbo = await subscribedCompany(emulator, (request) => {
      failingBody ??= request.body;
      return request.body === failingBody ? 500 : 200;
    });
    const stuck = await qbo.create('Customer', { DisplayName: 'Stuck' });
    await eventually(
      () => Promise.resolve(receiver!.requests.length),
      (count) => count >= 2,
      5000,
    );
    const queued = await qbo.create('Customer', { DisplayName: 'Queued' });
    const waiting = await eventually(
      () => deliveries(emulator, qbo),
      (log) => log.json.deliveries.length === 2,
      5000,
    );
    // The first batch is retried at least once more while the second waits unsent behind it.
    const retriesBefore = (waiting.json.deliveries[0] as Delivery).attempts.length;
    const blocked = await eventually(
      () => deliveries(emulator, qbo),
      (log) => (log.json.deliveries[0] as Delivery).attempts.length > retriesBefore,
      5000,
    );
    const [head, behind] = blocked.json.deliveries as Delivery[];
    expect(head!.attempts.length).toBeGreaterThan(retriesBefore);
    expect(behind!.attempts).toEqual([]);

    await emulator.admin('PUT', `/companies/${qbo.realmId}/faults`, { webhooks: { reorder: true } });
    const overtaken = await eventually(
      () => deliveries(emulator, qbo),
      (log) => log.json.deliveries[1].state === 'delivered',
      5000,
    );
    const [first, second] = overtaken.json.deliveries as Delivery[];
    expect(first!.state).toBe('pending');
    expect(new Set(first!.attempts.map((attempt) => attempt.status))).toEqual(new Set([500]));
    expect(second!.attempts.map((attempt) => attempt.status)).toEqual([200]);
    expect(receiver!.requests.map((request) => notified(request.body)[0]!.ids).at(-1)).toEqual([queued.Id]);
    expect(notified(failingBody!)[0]!.ids).toEqual([stuck.Id]);
  });
});
