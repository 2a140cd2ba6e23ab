import { RealmBudget, type MinuteCounter } from '../../../src/qbo';

/** A counter as the shared store keeps it: per realm and minute. */
function memoryCounter(): MinuteCounter & { counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    counts,
    increment(realmId, minuteStart) {
      const key = `${realmId}:${minuteStart.toISOString()}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return Promise.resolve(counts.get(key)!);
    },
  };
}

describe('RealmBudget: QBO limits per realm, kept on our side', () => {
  it('lets at most 10 requests of a realm run at once; the next starts when one finishes', async () => {
    const budget = new RealmBudget({ realmId: '900001', counter: memoryCounter(), perSecond: 100 });
    const releases = await Promise.all(Array.from({ length: 10 }, () => budget.acquire()));
    let eleventhStarted = false;
    const eleventh = budget.acquire().then((release) => {
      eleventhStarted = true;
      return release;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(eleventhStarted).toBe(false);
    releases[0]!();
    (await eleventh)();
    expect(eleventhStarted).toBe(true);
    // Releasing twice must not free a second slot.
    releases[0]!();
    releases.slice(1).forEach((release) => release());
  });

  it('keeps realms apart: a busy realm does not hold up another', async () => {
    const counter = memoryCounter();
    const busy = new RealmBudget({ realmId: '900002', counter, maxInFlight: 1 });
    const other = new RealmBudget({ realmId: '900003', counter, maxInFlight: 1 });
    const held = await busy.acquire();
    let busyStarted = false;
    const busyNext = busy.acquire().then((release) => {
      busyStarted = true;
      return release;
    });
    let otherStarted = false;
    const otherNext = other.acquire().then((release) => {
      otherStarted = true;
      return release;
    });
    await new Promise((resolve) => setImmediate(resolve));
    // The busy realm's next request waits for its slot; the other realm's does not wait for it.
    expect({ busyStarted, otherStarted }).toEqual({ busyStarted: false, otherStarted: true });
    (await otherNext)();
    held();
    (await busyNext)();
    expect(busyStarted).toBe(true);
  });

  it('starts at most 10 requests in any second, sliding', async () => {
    let now = 1_000_000;
    const slept: number[] = [];
    const waits: [string, number][] = [];
    const budget = new RealmBudget({
      realmId: '900005',
      counter: memoryCounter(),
      now: () => now,
      sleep: (ms) => {
        slept.push(ms);
        now += ms;
        return Promise.resolve();
      },
      onWait: (limit, waitedMs) => waits.push([limit, waitedMs]),
    });
    for (let i = 0; i < 10; i += 1) {
      (await budget.acquire())();
      now += 50;
    }
    expect(slept).toEqual([]);
    // The 11th comes 500 ms after the first: it waits until that first start is a second old (and the margin for
    // a request's way to QBO, 100 ms), and says so.
    (await budget.acquire())();
    expect(slept).toEqual([600]);
    expect(waits).toEqual([['per_second', 600]]);
  });

  it('stamps a start after the minute’s count, so a slow round trip to the store cannot bunch requests at QBO', async () => {
    let now = 2_000_000;
    const waits: [string, number][] = [];
    const counter = memoryCounter();
    let storeLatencyMs = 300;
    const budget = new RealmBudget({
      realmId: '900006',
      counter: {
        increment: async (realmId, minuteStart) => {
          const count = await counter.increment(realmId, minuteStart);
          now += storeLatencyMs;
          return count;
        },
      },
      now: () => now,
      sleep: (ms) => {
        now += ms;
        return Promise.resolve();
      },
      onWait: (limit, waitedMs) => waits.push([limit, waitedMs]),
    });
    // The first request's count took 300 ms: it reaches QBO at 2_000_300, not at 2_000_000.
    (await budget.acquire())();
    storeLatencyMs = 0;
    for (let i = 0; i < 9; i += 1) {
      now += 10;
      (await budget.acquire())();
    }
    now = 2_001_050;
    // Stamped before the count, the first would look a second old here and an 11th would go out within QBO's second.
    (await budget.acquire())();
    expect(waits).toEqual([['per_second', 2_000_300 + 1100 - 2_001_050]]);
  });

  it('waits for the next minute once 500 requests were made in this one, across every client', async () => {
    let now = Date.UTC(2026, 10, 25, 12, 0, 30);
    const slept: number[] = [];
    const counter = memoryCounter();
    const options = {
      realmId: '900004',
      counter,
      // This test is about the minute; the second's limit has its own.
      perSecond: 1000,
      now: () => now,
      sleep: (ms: number) => {
        slept.push(ms);
        now += ms;
        return Promise.resolve();
      },
    };
    // Two workers share the minute's count through the store.
    const first = new RealmBudget(options);
    const second = new RealmBudget(options);
    for (let i = 0; i < 500; i += 1) (await (i % 2 ? first : second).acquire())();
    expect(slept).toEqual([]);
    (await first.acquire())();
    expect(slept).toEqual([30_050]);
    expect(counter.counts.get(`900004:${new Date(Date.UTC(2026, 10, 25, 12, 1)).toISOString()}`)).toBe(1);
  });
});
