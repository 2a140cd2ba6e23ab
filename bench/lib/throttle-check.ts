import type { RateLimits, RealmTraffic } from '../../src/emulator/rate-limit';
import { admin, faultCode, send } from './http';

export interface ThrottleCheckResult {
  concurrent: number;
  limit: number;
  latencyMs: number;
  ok: number;
  throttled3001: number;
  other: number[];
  limiterThrottled: number;
  limiterPeakInFlight: number;
  /** A request after the reset came back 200 without the injected latency. */
  resetVerified: boolean;
  passed: boolean;
}

/**
 * Holds every admitted request for `latencyMs` so that `concurrent` requests overlap, then checks that exactly the
 * excess over the concurrency limit got the gateway's 429 (code 3001). Uses a realm of its own, so the throughput
 * run's per-minute window cannot interfere.
 */
export async function runThrottleCheck(
  baseUrl: string,
  concurrent = 15,
  latencyMs = 200,
): Promise<ThrottleCheckResult> {
  const created = await admin(baseUrl, 'POST', '/companies', { companyName: 'Throttle Check' });
  const realmId = created?.realmId ?? '';
  const tokens = await admin(baseUrl, 'POST', `/companies/${realmId}/tokens`, {});
  const url = `${baseUrl}/v3/company/${realmId}/companyinfo/${realmId}?minorversion=75`;
  const get = () => send({ method: 'GET', url, token: tokens?.access_token });

  await admin(baseUrl, 'PUT', `/companies/${realmId}/faults`, { latencyMs });
  const replies = await Promise.all(Array.from({ length: concurrent }, get));
  await admin(baseUrl, 'PUT', `/companies/${realmId}/faults`, {});

  const { limits, traffic } = (await admin<{ limits: RateLimits; traffic: RealmTraffic }>(
    baseUrl,
    'GET',
    `/companies/${realmId}/traffic`,
  ))!;
  // Let the 1 s window slide past the burst, then one request must be fast and admitted again.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const after = await get();

  const ok = replies.filter((reply) => reply.status === 200).length;
  const throttled3001 = replies.filter(
    (reply) => reply.status === 429 && faultCode(reply.body) === '3001',
  ).length;
  const other = replies.map((reply) => reply.status).filter((status) => status !== 200 && status !== 429);
  const excess = Math.max(0, concurrent - limits.concurrent);
  const resetVerified = after.status === 200 && after.ms < latencyMs / 2;
  return {
    concurrent,
    limit: limits.concurrent,
    latencyMs,
    ok,
    throttled3001,
    other,
    limiterThrottled: traffic.throttled,
    limiterPeakInFlight: traffic.peakInFlight,
    resetVerified,
    passed: throttled3001 === excess && ok === concurrent - excess && other.length === 0 && resetVerified,
  };
}
