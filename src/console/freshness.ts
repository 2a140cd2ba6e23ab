import { percentile } from '../health/percentiles';

/**
 * Freshness over time, per direction: the p50 and p95 lag of the changes in each time bucket, from the sync events
 * the API lists (the same events, and the same kinds per direction, as the connection's health report).
 */
export interface LaggedEvent {
  kind: string;
  at: string;
  lagMs: number | null;
}

export const freshnessKinds = { qboToCrm: ['updated_crm'], crmToQbo: ['updated_qbo', 'created'] } as const;

export interface FreshnessSeries {
  /** Bucket starts, in Unix seconds (what uPlot plots). */
  times: number[];
  qboToCrm: { p50: (number | null)[]; p95: (number | null)[] };
  crmToQbo: { p50: (number | null)[]; p95: (number | null)[] };
}

export function freshnessSeries(
  events: readonly LaggedEvent[],
  now: Date,
  options: { buckets: number; bucketMs: number },
): FreshnessSeries {
  const { buckets, bucketMs } = options;
  const end = Math.ceil(now.getTime() / bucketMs) * bucketMs;
  const start = end - buckets * bucketMs;
  const samples = (kinds: readonly string[]) => {
    const perBucket: number[][] = Array.from({ length: buckets }, () => []);
    for (const event of events) {
      const at = new Date(event.at).getTime();
      if (event.lagMs === null || !kinds.includes(event.kind) || at < start || at >= end) continue;
      perBucket[Math.floor((at - start) / bucketMs)]!.push(event.lagMs);
    }
    return {
      p50: perBucket.map((lags) => percentile(lags, 50)),
      p95: perBucket.map((lags) => percentile(lags, 95)),
    };
  };
  return {
    times: Array.from({ length: buckets }, (_, index) => (start + index * bucketMs) / 1000),
    qboToCrm: samples(freshnessKinds.qboToCrm),
    crmToQbo: samples(freshnessKinds.crmToQbo),
  };
}
