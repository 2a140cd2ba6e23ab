import { systemClock } from '../clock';
import { type QueueSettings, RealmQueue } from './realm-queue';
import type {
  DeliveryRecord,
  DeliveryStats,
  EntityChange,
  WebhookDispatcherOptions,
  WebhookFaults,
  WebhookSubscription,
} from './types';

/**
 * Sends Intuit-format webhook notifications for the emulator's entity changes: batched per realm, signed with the
 * subscription's verifier token, retried on Intuit's schedule, with injectable delivery faults.
 */
export class WebhookDispatcher {
  private readonly settings: QueueSettings;
  private readonly subscriptions = new Map<string, WebhookSubscription>();
  private readonly queues = new Map<string, RealmQueue>();
  private closed = false;

  constructor(options: WebhookDispatcherOptions = {}) {
    this.settings = {
      clock: options.clock ?? systemClock,
      timeFactor: options.timeFactor ?? 1,
      batchWindowMs: options.batchWindowMs ?? 250,
      maxBatchSize: options.maxBatchSize ?? 100,
      requestTimeoutMs: options.requestTimeoutMs ?? 3000,
      maxAttempts: options.maxAttempts ?? Infinity,
      random: options.random ?? Math.random,
      log: options.log ?? (() => undefined),
    };
    const { timeFactor, batchWindowMs, maxBatchSize, requestTimeoutMs, maxAttempts } = this.settings;
    if (!(timeFactor >= 0)) throw new RangeError('timeFactor must be >= 0');
    if (!(batchWindowMs >= 0)) throw new RangeError('batchWindowMs must be >= 0');
    if (!(maxBatchSize >= 1)) throw new RangeError('maxBatchSize must be >= 1');
    if (!(requestTimeoutMs > 0)) throw new RangeError('requestTimeoutMs must be > 0');
    if (!(maxAttempts >= 1)) throw new RangeError('maxAttempts must be >= 1');
  }

  /** Sets or replaces the realm's endpoint; batches already formed keep the URL and signature they were made with. */
  subscribe(realmId: string, subscription: WebhookSubscription): void {
    const { protocol } = new URL(subscription.url);
    if (protocol !== 'http:' && protocol !== 'https:')
      throw new TypeError(`not an http(s) URL: ${subscription.url}`);
    this.subscriptions.set(realmId, { ...subscription });
  }

  /** Stops notifications for the realm and abandons everything it has not yet had acknowledged. */
  unsubscribe(realmId: string): void {
    this.subscriptions.delete(realmId);
    this.queues.get(realmId)?.cancel('unsubscribed');
  }

  subscription(realmId: string): WebhookSubscription | undefined {
    const subscription = this.subscriptions.get(realmId);
    return subscription && { ...subscription };
  }

  /** Forgets every subscription, fault and delivery log, abandoning whatever is not yet acknowledged. */
  reset(): void {
    for (const queue of this.queues.values()) queue.cancel('reset');
    this.queues.clear();
    this.subscriptions.clear();
  }

  /** Replaces the realm's faults; they apply to batches formed and requests sent from now on. */
  setFaults(realmId: string, faults: WebhookFaults): void {
    for (const rate of [faults.dropRate, faults.duplicateRate]) {
      if (rate !== undefined && !(rate >= 0 && rate <= 1))
        throw new RangeError('fault rates must be within 0..1');
    }
    if (faults.delayMs !== undefined && !(faults.delayMs >= 0)) throw new RangeError('delayMs must be >= 0');
    const queue = this.queue(realmId);
    queue.faults = { ...faults };
    queue.kick(); // reorder lets batches overtake a parked head
  }

  notify(change: EntityChange): void {
    try {
      const subscription = this.subscriptions.get(change.realmId);
      if (this.closed || !subscription) return;
      const wanted = subscription.entities?.map((name) => name.toLowerCase());
      if (wanted && !wanted.includes(change.name.toLowerCase())) return;
      if (Number.isNaN(change.lastUpdated.getTime())) throw new RangeError('lastUpdated is not a valid date');
      this.queue(change.realmId).add({ ...change });
    } catch (error) {
      // The store calls this on every write; a bad change must not fail the write.
      this.settings.log('webhook change ignored', { realmId: change.realmId, error: String(error) });
    }
  }

  deliveries(realmId: string): DeliveryRecord[] {
    return this.queues.get(realmId)?.deliveries() ?? [];
  }

  stats(realmId: string): DeliveryStats {
    const stats = this.queues.get(realmId)?.stats();
    return stats ?? { sent: 0, delivered: 0, failed: 0, dropped: 0, duplicated: 0, pendingEvents: 0 };
  }

  /**
   * Closes every open batch window and resolves once no request is in flight and no batch is ready to send.
   * Retries waiting out an interval of the schedule are not awaited.
   */
  async flush(): Promise<void> {
    for (const queue of this.queues.values()) queue.cut();
    await Promise.all([...this.queues.values()].map((queue) => queue.idle()));
  }

  /** Cancels all timers and aborts requests in flight; unacknowledged batches are recorded as failed. */
  async close(): Promise<void> {
    this.closed = true;
    for (const queue of this.queues.values()) queue.cancel('dispatcher closed');
    await Promise.all([...this.queues.values()].map((queue) => queue.idle()));
  }

  private queue(realmId: string): RealmQueue {
    let queue = this.queues.get(realmId);
    if (!queue) {
      queue = new RealmQueue(realmId, this.settings, () => this.subscriptions.get(realmId));
      this.queues.set(realmId, queue);
    }
    return queue;
  }
}
