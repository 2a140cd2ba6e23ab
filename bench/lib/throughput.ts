import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import type { RateLimits, RealmTraffic } from '../../src/emulator/rate-limit';
import { admin } from './http';
import { median, round, summarizeLatency, type LatencySummary } from './stats';
import { RealmLoop, type RealmTarget, type RequestKind, type RequestSample } from './workload';

export interface ThroughputOptions {
  realms: number;
  seconds: number;
  /** Requests per second each realm's client is paced at. */
  perSecond: number;
  customers: number;
  transactions: number;
}

export interface KindSummary extends LatencySummary {
  kind: RequestKind | 'all';
  non2xx: number;
}

/** What the shared process spent while the loops ran: if the emulator were the bottleneck, it would show here. */
export interface ProcessLoad {
  userMs: number;
  systemMs: number;
  /** CPU time over wall time: 1 means one core fully busy. */
  coresUsed: number;
  eventLoopUtilization: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  gcPauses: number;
  gcTotalMs: number;
  gcMaxMs: number;
}

export interface ThroughputResult {
  options: ThroughputOptions;
  setupMs: number;
  wallMs: number;
  requests: number;
  pacedPerMinute: number;
  perRealmPerMinute: { min: number; median: number; max: number };
  latency: KindSummary[];
  throttled429: number;
  /** 400 Stale Object (5010), which the client answers by re-reading: part of the workload, not a failure. */
  staleObject5010: number;
  bookkeeperEdits: number;
  unexpected: { count: number; examples: string[] };
  process: ProcessLoad;
  limiter: {
    limits: RateLimits;
    requests: number;
    throttled: number;
    maxPeakPerMinute: number;
    maxPeakPerSecond: number;
    maxPeakInFlight: number;
  };
}

/** Seeds the realms over the admin API and mints a token for each, as a test or demo would. */
async function createRealms(baseUrl: string, options: ThroughputOptions): Promise<RealmTarget[]> {
  const targets: RealmTarget[] = [];
  for (let index = 0; index < options.realms; index += 1) {
    const created = await admin(baseUrl, 'POST', '/companies', {
      companyName: `Bench Realm ${index + 1}`,
      seed: { customers: options.customers, transactions: options.transactions, seed: index + 1 },
    });
    const realmId = created?.realmId ?? '';
    const tokens = await admin(baseUrl, 'POST', `/companies/${realmId}/tokens`, {});
    targets.push({ baseUrl, realmId, token: tokens?.access_token ?? '', index: index + 1 });
  }
  return targets;
}

async function readTraffic(baseUrl: string, realmIds: readonly string[]) {
  const replies = await Promise.all(
    realmIds.map((realmId) =>
      admin<{ limits: RateLimits; traffic: RealmTraffic }>(baseUrl, 'GET', `/companies/${realmId}/traffic`),
    ),
  );
  const traffic = replies.map((reply) => reply!.traffic);
  const max = (pick: (realm: RealmTraffic) => number): number => Math.max(...traffic.map(pick));
  const sum = (pick: (realm: RealmTraffic) => number): number =>
    traffic.reduce((total, realm) => total + pick(realm), 0);
  return {
    limits: replies[0]!.limits,
    requests: sum((realm) => realm.requests),
    throttled: sum((realm) => realm.throttled),
    maxPeakPerMinute: max((realm) => realm.peakPerMinute),
    maxPeakPerSecond: max((realm) => realm.peakPerSecond),
    maxPeakInFlight: max((realm) => realm.peakInFlight),
  };
}

function isOk(sample: RequestSample): boolean {
  return sample.status >= 200 && sample.status < 300;
}

function isStale(sample: RequestSample): boolean {
  return sample.status === 400 && sample.code === '5010';
}

function latencyByKind(samples: readonly RequestSample[]): KindSummary[] {
  const kinds: (RequestKind | 'all')[] = ['all', 'read', 'query', 'update', 'create'];
  return kinds.map((kind) => {
    const subset = kind === 'all' ? samples : samples.filter((sample) => sample.kind === kind);
    const non2xx = subset.filter((sample) => !isOk(sample)).length;
    return { kind, ...summarizeLatency(subset.map((sample) => sample.ms)), non2xx };
  });
}

function unexpectedFailures(samples: readonly RequestSample[]) {
  const failures = samples.filter((sample) => !isOk(sample) && !isStale(sample) && sample.status !== 429);
  const examples = [...new Set(failures.map((f) => `${f.kind} ${f.status} ${f.code ?? '-'}`))].slice(0, 5);
  return { count: failures.length, examples };
}

/** Runs `work` and reports CPU, event-loop and GC figures over exactly that window. */
async function measureLoad(work: () => Promise<unknown>): Promise<{ wallMs: number; load: ProcessLoad }> {
  const pauses: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push(entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const cpuBefore = process.cpuUsage();
  const eluBefore = performance.eventLoopUtilization();
  const started = performance.now();
  await work();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const elu = performance.eventLoopUtilization(eluBefore);
  delay.disable();
  observer.disconnect();
  const gcTotalMs = pauses.reduce((total, pause) => total + pause, 0);
  return {
    wallMs,
    load: {
      userMs: round(cpu.user / 1000, 0),
      systemMs: round(cpu.system / 1000, 0),
      coresUsed: round((cpu.user + cpu.system) / 1000 / wallMs, 3),
      eventLoopUtilization: round(elu.utilization, 3),
      eventLoopDelayP99Ms: round(delay.percentile(99) / 1e6, 1),
      eventLoopDelayMaxMs: round(delay.max / 1e6, 1),
      gcPauses: pauses.length,
      gcTotalMs: round(gcTotalMs, 0),
      gcMaxMs: round(Math.max(0, ...pauses), 1),
    },
  };
}

/**
 * Runs one paced client loop per realm against the served emulator. Each realm's first slot is staggered across
 * one interval so the realms do not all fire in the same millisecond.
 */
export async function runThroughput(baseUrl: string, options: ThroughputOptions): Promise<ThroughputResult> {
  const setupStarted = performance.now();
  const targets = await createRealms(baseUrl, options);
  const setupMs = performance.now() - setupStarted;

  const intervalMs = 1000 / options.perSecond;
  const start = performance.now() + 100;
  const deadlineMs = start + options.seconds * 1000;
  const loops = targets.map(
    (target, index) =>
      new RealmLoop(target, {
        firstSlotMs: start + (index * intervalMs) / targets.length,
        deadlineMs,
        intervalMs,
      }),
  );

  const { wallMs, load } = await measureLoad(() => Promise.all(loops.map((loop) => loop.run())));

  const limiter = await readTraffic(
    baseUrl,
    targets.map((target) => target.realmId),
  );
  const samples = loops.flatMap((loop) => loop.samples);
  // Served requests: a 429 is the limiter doing its job, not the emulator answering.
  const perRealm = loops.map(
    (loop) => (loop.samples.filter((sample) => sample.status !== 429).length / options.seconds) * 60,
  );
  return {
    options,
    setupMs: round(setupMs, 0),
    wallMs: round(wallMs, 0),
    requests: samples.length,
    pacedPerMinute: round(options.perSecond * 60, 1),
    perRealmPerMinute: {
      min: round(Math.min(...perRealm), 1),
      median: round(median(perRealm), 1),
      max: round(Math.max(...perRealm), 1),
    },
    latency: latencyByKind(samples),
    throttled429: samples.filter((sample) => sample.status === 429).length,
    staleObject5010: samples.filter(isStale).length,
    bookkeeperEdits: loops.reduce((total, loop) => total + loop.userEdits, 0),
    unexpected: unexpectedFailures(samples),
    process: load,
    limiter,
  };
}
