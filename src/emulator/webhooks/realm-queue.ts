import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatQboDateTime } from '../../time/zoned-time';
import type { Clock } from '../clock';
import { contentTypeFor, encodeBody } from './payload';
import { retryDelayMs } from './retry';
import { signPayload } from './signature';
import type {
  DeliveryAttempt,
  DeliveryRecord,
  DeliveryStats,
  EntityChange,
  WebhookFaults,
  WebhookSubscription,
} from './types';

export interface QueueSettings {
  clock: Clock;
  timeFactor: number;
  batchWindowMs: number;
  maxBatchSize: number;
  requestTimeoutMs: number;
  maxAttempts: number;
  random: () => number;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

/** Delivery log entries kept per realm. */
const LOG_LIMIT = 1000;

interface Batch {
  record: DeliveryRecord;
  headers: Record<string, string>;
  /** Waiting for its retry interval to pass. */
  parked: boolean;
}

/**
 * One realm's outbound notifications: collects changes over the batch window, then sends batches one request at a
 * time. Without the reorder fault the head batch blocks the rest until it is acknowledged, as Intuit does.
 */
export class RealmQueue {
  faults: WebhookFaults = {};
  private window: EntityChange[] = [];
  private windowTimer: NodeJS.Timeout | undefined;
  private readonly queue: Batch[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private abort = new AbortController();
  private sending = false;
  private draining: Promise<void> = Promise.resolve();
  private readonly log: DeliveryRecord[] = [];
  private readonly counts = { sent: 0, delivered: 0, failed: 0, dropped: 0, duplicated: 0 };

  constructor(
    private readonly realmId: string,
    private readonly settings: QueueSettings,
    private readonly subscription: () => WebhookSubscription | undefined,
  ) {}

  add(change: EntityChange): void {
    this.window.push(change);
    if (this.window.length >= this.settings.maxBatchSize) this.cut();
    else this.windowTimer ??= this.later(this.settings.batchWindowMs, () => this.cut());
  }

  /** Closes the batch window: turns the collected changes into batches and starts sending. */
  cut(): void {
    if (this.windowTimer) this.clearTimer(this.windowTimer);
    this.windowTimer = undefined;
    const changes = this.window.splice(0);
    const subscription = this.subscription();
    if (!subscription || changes.length === 0) return;
    for (let start = 0; start < changes.length; start += this.settings.maxBatchSize) {
      this.enqueue(subscription, changes.slice(start, start + this.settings.maxBatchSize));
    }
    this.kick();
  }

  /** Restarts sending, e.g. after the faults changed. */
  kick(): void {
    if (!this.sending) this.draining = this.drain();
  }

  /** Resolves when no request is in flight and no batch is ready to send (parked retries are not awaited). */
  async idle(): Promise<void> {
    while (this.sending) await this.draining;
  }

  /** Drops everything not yet acknowledged: the window, queued and parked batches, and the request in flight. */
  cancel(reason: string): void {
    this.abort.abort();
    this.abort = new AbortController();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.windowTimer = undefined;
    this.window = [];
    for (const { record } of this.queue.splice(0)) {
      record.state = 'failed';
      this.counts.failed += 1;
      this.settings.log('webhook batch abandoned', { realmId: this.realmId, id: record.id, reason });
    }
  }

  deliveries(): DeliveryRecord[] {
    return structuredClone(this.log);
  }

  stats(): DeliveryStats {
    const queued = this.queue.reduce((sum, batch) => sum + batch.record.events, 0);
    return { ...this.counts, pendingEvents: this.window.length + queued };
  }

  private enqueue(subscription: WebhookSubscription, changes: EntityChange[]): void {
    const body = encodeBody(subscription.format, this.realmId, changes);
    const signature = signPayload(body, subscription.verifierToken);
    const record: DeliveryRecord = {
      id: randomUUID(),
      realmId: this.realmId,
      url: subscription.url,
      body,
      signature,
      events: changes.length,
      attempts: [],
      state: 'pending',
      duplicated: false,
    };
    this.log.push(record);
    if (this.log.length > LOG_LIMIT) this.log.shift();
    if (this.roll(this.faults.dropRate)) {
      record.state = 'dropped';
      this.counts.dropped += 1;
      this.settings.log('webhook batch dropped (fault)', { realmId: this.realmId, id: record.id });
      return;
    }
    const headers = {
      'content-type': contentTypeFor(subscription),
      'intuit-signature': signature,
      // One transaction id per batch, so a receiver can tell a retry from a new notification.
      'intuit-t-id': record.id,
      // Intuit's sample writes the offset without a colon: 2016-02-02T16:25:00-0800.
      'intuit-created-time': formatQboDateTime(this.settings.clock.now(), 'UTC').replace(/:(\d\d)$/, '$1'),
      'intuit-notification-schema-version': '0.1',
      'user-agent': 'intuit_notification_server/0.1',
    };
    this.queue.push({ record, headers, parked: false });
  }

  private async drain(): Promise<void> {
    // The flag drops in the same tick that finds nothing to send, so a kick can never fall in between.
    this.sending = true;
    try {
      for (let batch = this.next(); batch; batch = this.next()) await this.deliver(batch);
    } finally {
      this.sending = false;
    }
  }

  private next(): Batch | undefined {
    if (!this.faults.reorder) {
      const head = this.queue[0];
      return head && !head.parked ? head : undefined;
    }
    const ready = this.queue.filter((batch) => !batch.parked);
    return ready.length > 0 ? ready[Math.floor(this.settings.random() * ready.length)] : undefined;
  }

  private async deliver(batch: Batch): Promise<void> {
    const { record } = batch;
    const ok = await this.post(batch);
    if (!this.queue.includes(batch)) return; // cancelled while in flight
    if (ok) {
      this.settle(batch, 'delivered');
      if (this.roll(this.faults.duplicateRate)) {
        record.duplicated = true;
        this.counts.duplicated += 1;
        await this.post(batch);
      }
    } else if (record.attempts.length >= this.settings.maxAttempts) {
      this.settle(batch, 'failed');
    } else {
      batch.parked = true;
      const delay = retryDelayMs(record.attempts.length) * this.settings.timeFactor;
      this.later(delay, () => {
        batch.parked = false;
        this.kick();
      });
    }
  }

  /** One POST; records the attempt and returns whether it was acknowledged with a 2xx. */
  private async post(batch: Batch): Promise<boolean> {
    const { record } = batch;
    const { signal } = this.abort;
    const delayMs = this.faults.delayMs ?? 0;
    if (delayMs > 0) {
      const waited = await sleep(delayMs, true, { signal, ref: false }).catch(() => false);
      if (!waited) return false;
    }
    if (signal.aborted) return false;
    const attempt: DeliveryAttempt = { at: this.settings.clock.now(), durationMs: 0 };
    const started = performance.now();
    this.counts.sent += 1;
    try {
      const response = await fetch(record.url, {
        method: 'POST',
        headers: batch.headers,
        body: record.body,
        redirect: 'manual', // only a 2xx counts as an acknowledgement
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.settings.requestTimeoutMs)]),
      });
      attempt.status = response.status;
      await response.body?.cancel();
    } catch (error) {
      attempt.error = describeError(error, this.settings.requestTimeoutMs);
    }
    attempt.durationMs = Math.round(performance.now() - started);
    record.attempts.push(attempt);
    const ok = attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300;
    this.settings.log(ok ? 'webhook delivered' : 'webhook delivery failed', {
      realmId: this.realmId,
      id: record.id,
      attempt: record.attempts.length,
      status: attempt.status,
      error: attempt.error,
    });
    return ok;
  }

  private settle(batch: Batch, state: 'delivered' | 'failed'): void {
    this.queue.splice(this.queue.indexOf(batch), 1);
    batch.record.state = state;
    this.counts[state] += 1;
  }

  private roll(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.settings.random() < rate;
  }

  private later(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    this.timers.add(timer);
    return timer;
  }

  private clearTimer(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers.delete(timer);
  }
}

interface ErrorLike {
  name?: string;
  message?: string;
  cause?: { message?: string };
}

function describeError(error: unknown, timeoutMs: number): string {
  // Duck-typed: fetch's errors may come from another realm (jest's VM), where instanceof Error is false.
  const {
    name,
    message = String(error),
    cause,
  } = (typeof error === 'object' && error ? error : {}) as ErrorLike;
  if (name === 'TimeoutError') return `no response within ${timeoutMs} ms`;
  if (name === 'AbortError') return 'aborted';
  return cause?.message ? `${message}: ${cause.message}` : message;
}
