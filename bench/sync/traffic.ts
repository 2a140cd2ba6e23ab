import type { LoggedRequest } from '../../src/emulator/company';
import type { RateLimits, RealmTraffic } from '../../src/emulator/rate-limit';
import { mapLimit, emulatorAdmin } from './crm';
import type { BenchStack } from './stack';

export interface TrafficSummary {
  limits: Pick<RateLimits, 'perMinute' | 'perSecond' | 'concurrent'>;
  realms: number;
  /** Requests the emulator's gateway admitted, over all realms. */
  requests: number;
  /** Requests refused with 429 because the client went over a limit: zero means it never tried. */
  throttled: number;
  maxPeakInFlight: number;
  maxPeakPerMinute: number;
  maxPeakPerSecond: number;
}

/** The emulator's own per-realm throttle counters (GET /__admin/companies/{realmId}/traffic), summed and maxed. */
export async function readTraffic(stack: BenchStack, realmIds: readonly string[]): Promise<TrafficSummary> {
  const replies = await mapLimit(realmIds, 20, (realmId) =>
    emulatorAdmin<{ limits: RateLimits; traffic: RealmTraffic }>(
      stack,
      'GET',
      `/companies/${realmId}/traffic`,
    ),
  );
  const traffic = replies.map((reply) => reply.traffic);
  const max = (pick: (realm: RealmTraffic) => number): number => Math.max(0, ...traffic.map(pick));
  const limits = replies[0]?.limits ?? stack.emulator.limiter.limits;
  return {
    limits: { perMinute: limits.perMinute, perSecond: limits.perSecond, concurrent: limits.concurrent },
    realms: realmIds.length,
    requests: traffic.reduce((sum, realm) => sum + realm.requests, 0),
    throttled: traffic.reduce((sum, realm) => sum + realm.throttled, 0),
    maxPeakInFlight: max((realm) => realm.peakInFlight),
    maxPeakPerMinute: max((realm) => realm.peakPerMinute),
    maxPeakPerSecond: max((realm) => realm.peakPerSecond),
  };
}

/** The realm's request log (GET /__admin/companies/{realmId}/requests): the last 2,000 admitted API requests. */
export async function readRequestLog(stack: BenchStack, realmId: string): Promise<LoggedRequest[]> {
  const { requests } = await emulatorAdmin<{ requests: LoggedRequest[] }>(
    stack,
    'GET',
    `/companies/${realmId}/requests?limit=2000`,
  );
  return requests;
}

export function mergeTraffic(parts: readonly TrafficSummary[]): TrafficSummary | undefined {
  if (parts.length === 0) return undefined;
  return {
    limits: parts[0]!.limits,
    realms: parts.reduce((sum, part) => sum + part.realms, 0),
    requests: parts.reduce((sum, part) => sum + part.requests, 0),
    throttled: parts.reduce((sum, part) => sum + part.throttled, 0),
    maxPeakInFlight: Math.max(...parts.map((part) => part.maxPeakInFlight)),
    maxPeakPerMinute: Math.max(...parts.map((part) => part.maxPeakPerMinute)),
    maxPeakPerSecond: Math.max(...parts.map((part) => part.maxPeakPerSecond)),
  };
}
