/**
 * QBO's per-realm limits (facts: 500 requests a minute and 10 concurrent requests per realm and app), kept on our
 * side so that we slow down instead of collecting 429s:
 * - at most `maxInFlight` requests at once per realm in this process (across processes the connection workflow
 *   bounds it: at most four pushes, one QBO-lane activity and one backfill page run at a time, each making one
 *   request at a time, which stays under Intuit's ten);
 * - at most `perSecond` requests per realm in any second in this process;
 * - at most `perMinute` requests per realm per clock minute across every worker, counted in a shared store.
 * A request over the minute's budget waits for the next minute rather than failing.
 */
export interface RequestBudget {
  /** Resolves when a request may start; call the returned function when it has finished. */
  acquire(): Promise<() => void>;
}

/** Counts requests per realm and minute across processes; returns the count including this one. */
export interface MinuteCounter {
  increment(realmId: string, minuteStart: Date): Promise<number>;
}

/** The limit a request waited for. */
export type BudgetLimit = 'in_flight' | 'per_second' | 'per_minute';

export interface RealmBudgetOptions {
  realmId: string;
  counter: MinuteCounter;
  /** Told how long a request waited, each time it had to (the worker's metrics). */
  onWait?: (limit: BudgetLimit, waitedMs: number) => void;
  maxInFlight?: number;
  perMinute?: number;
  perSecond?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const minuteMs = 60_000;
/** How much longer than a second a start counts against the per-second limit. */
const secondMarginMs = 100;

/** Intuit's limits per realm and app (facts §5: 500 a minute, 10 a second, 10 at once). */
export const qboLimits = { perMinute: 500, perSecond: 10, maxInFlight: 10 } as const;

/** Waiters, running requests and recent starts per realm, shared by every client of the realm in this process. */
const slots = new Map<string, { running: number; waiting: (() => void)[]; starts: number[] }>();

export class RealmBudget implements RequestBudget {
  private readonly maxInFlight: number;
  private readonly perMinute: number;
  private readonly perSecond: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: RealmBudgetOptions) {
    this.maxInFlight = options.maxInFlight ?? qboLimits.maxInFlight;
    this.perMinute = options.perMinute ?? qboLimits.perMinute;
    this.perSecond = options.perSecond ?? qboLimits.perSecond;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms).unref?.()));
  }

  async acquire(): Promise<() => void> {
    const release = await this.takeSlot();
    try {
      // The second's last: the minute's count is a round trip to the store, and a start stamped before it would
      // reach QBO later than it says.
      await this.takeMinuteBudget();
      await this.takeSecondBudget();
    } catch (error) {
      release();
      throw error;
    }
    return release;
  }

  private async takeSlot(): Promise<() => void> {
    const slot = this.slot();
    if (slot.running >= this.maxInFlight) {
      const startedAt = this.now();
      await new Promise<void>((resolve) => slot.waiting.push(resolve));
      this.options.onWait?.('in_flight', this.now() - startedAt);
    } else slot.running += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the next waiter, so `running` stays counted for it.
      const next = slot.waiting.shift();
      if (next) next();
      else slot.running -= 1;
    };
  }

  private slot(): { running: number; waiting: (() => void)[]; starts: number[] } {
    const slot = slots.get(this.options.realmId) ?? { running: 0, waiting: [], starts: [] };
    slots.set(this.options.realmId, slot);
    return slot;
  }

  /**
   * At most `perSecond` starts in any second: the gateway's sliding window, kept per process. A start counts a little
   * longer than the second, since a request reaches the gateway some milliseconds after it started here, and the
   * one before may have been quicker.
   */
  private async takeSecondBudget(): Promise<void> {
    const { starts } = this.slot();
    const window = 1000 + secondMarginMs;
    for (;;) {
      const now = this.now();
      while (starts.length > 0 && starts[0]! <= now - window) starts.shift();
      if (starts.length < this.perSecond) {
        starts.push(now);
        return;
      }
      await this.wait('per_second', starts[0]! + window - now);
    }
  }

  private async takeMinuteBudget(): Promise<void> {
    for (;;) {
      const now = this.now();
      const minuteStart = now - (now % minuteMs);
      const used = await this.options.counter.increment(this.options.realmId, new Date(minuteStart));
      if (used <= this.perMinute) return;
      // Over budget this minute: wait for the next one (a little after, so clocks a few ms apart agree).
      await this.wait('per_minute', minuteStart + minuteMs - now + 50);
    }
  }

  private async wait(limit: BudgetLimit, ms: number): Promise<void> {
    await this.sleep(ms);
    this.options.onWait?.(limit, ms);
  }
}
