/**
 * Intuit's per-realm throttles: 500 requests a minute, 10 a second and 10 in flight per realm and app, and 120
 * batch calls a minute. Excess gets 429. Rejected requests are not counted against the window, so a client that
 * backs off recovers as soon as the window slides.
 */
export interface RateLimits {
  perMinute: number;
  perSecond: number;
  concurrent: number;
  batchPerMinute: number;
  maxBatchItems: number;
}

export const intuitLimits: RateLimits = {
  perMinute: 500,
  perSecond: 10,
  concurrent: 10,
  batchPerMinute: 120,
  maxBatchItems: 30,
};

export interface RealmTraffic {
  /** Requests let through the throttles (an injected fault may still answer them). */
  requests: number;
  /** 429s sent: the throttles' own and those injected by a fault. */
  throttled: number;
  inFlight: number;
  peakInFlight: number;
  /** Most requests accepted within any sliding 60 s window. */
  peakPerMinute: number;
  /** Most requests accepted within any sliding 1 s window. */
  peakPerSecond: number;
  batchRequests: number;
}

interface RealmState extends RealmTraffic {
  recent: number[];
  recentBatches: number[];
}

export type Admission = { admitted: true; release: () => void } | { admitted: false; reason: string };

export class RateLimiter {
  /** The limits in force; the admin API may change them at run time. */
  limits: RateLimits;
  private readonly realms = new Map<string, RealmState>();

  constructor(
    private readonly configured: RateLimits = intuitLimits,
    private readonly nowMs: () => number = () => Date.now(),
  ) {
    this.limits = { ...configured };
  }

  private state(realmId: string): RealmState {
    let state = this.realms.get(realmId);
    if (!state) {
      state = {
        requests: 0,
        throttled: 0,
        inFlight: 0,
        peakInFlight: 0,
        peakPerMinute: 0,
        peakPerSecond: 0,
        batchRequests: 0,
        recent: [],
        recentBatches: [],
      };
      this.realms.set(realmId, state);
    }
    return state;
  }

  admit(realmId: string, isBatch = false): Admission {
    const state = this.state(realmId);
    const now = this.nowMs();
    prune(state.recent, now - 60_000);
    prune(state.recentBatches, now - 60_000);
    const lastSecond = countSince(state.recent, now - 1000);
    const reason =
      state.inFlight >= this.limits.concurrent
        ? `more than ${this.limits.concurrent} concurrent requests`
        : state.recent.length >= this.limits.perMinute
          ? `more than ${this.limits.perMinute} requests per minute`
          : lastSecond >= this.limits.perSecond
            ? `more than ${this.limits.perSecond} requests per second`
            : isBatch && state.recentBatches.length >= this.limits.batchPerMinute
              ? `more than ${this.limits.batchPerMinute} batch requests per minute`
              : undefined;
    if (reason) {
      this.countThrottled(realmId);
      return { admitted: false, reason };
    }
    state.recent.push(now);
    if (isBatch) {
      state.recentBatches.push(now);
      state.batchRequests += 1;
    }
    state.requests += 1;
    state.inFlight += 1;
    state.peakInFlight = Math.max(state.peakInFlight, state.inFlight);
    state.peakPerMinute = Math.max(state.peakPerMinute, state.recent.length);
    state.peakPerSecond = Math.max(state.peakPerSecond, lastSecond + 1);
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        state.inFlight -= 1;
      },
    };
  }

  /** Counts a 429 these throttles did not decide (an injected fault): the client got one all the same. */
  countThrottled(realmId: string): void {
    this.state(realmId).throttled += 1;
  }

  traffic(realmId: string): RealmTraffic {
    const { recent: _recent, recentBatches: _batches, ...traffic } = this.state(realmId);
    return traffic;
  }

  /** Forgets every realm's counters and puts the limits back as configured. */
  reset(): void {
    this.realms.clear();
    this.limits = { ...this.configured };
  }
}

function prune(times: number[], before: number): void {
  let drop = 0;
  while (drop < times.length && times[drop]! <= before) drop += 1;
  if (drop > 0) times.splice(0, drop);
}

function countSince(times: number[], since: number): number {
  let count = 0;
  for (let index = times.length - 1; index >= 0 && times[index]! > since; index -= 1) count += 1;
  return count;
}
