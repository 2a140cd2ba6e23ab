/**
 * The benchmark's targets (issue 17, "Numbers"): each figure's bound, how it is compared, and how the report writes
 * it. The benchmarks judge `met` with `meets`, and the report prints `label` in every cell, chart and sentence.
 */
export interface Target {
  value: number;
  /** Whether the figure must stay strictly below the value (`<`) or may equal it (`≤`). */
  strict: boolean;
  label: string;
}

/** Intuit's per-realm budget (500 requests a minute), what the polling share is measured against. */
export const realmRequestsPerMinute = 500;

/** Intuit's per-realm limit on requests in flight at once. */
export const realmConcurrentRequests = 10;

/** Today's CPU per poll (worker + Temporal + database) at 1,000 companies, which the target divides by three. */
const cpuMsPerPollBefore = 58;

export const targets = {
  backfillRatio: { value: 1.3, strict: false, label: '≤ 1.3×' },
  crmToQboP95Ms: { value: 300, strict: true, label: '< 300 ms' },
  qboToCrmFromArrivalP95Ms: { value: 1000, strict: true, label: '< 1 s' },
  qboToCrmPollingP95Ms: { value: 15_000, strict: false, label: '≤ 15 s' },
  /** Lost or refused edits with webhooks on. */
  lostOrRefused: { value: 0, strict: false, label: 'none' },
  pollingBudgetShare: { value: 0.1, strict: false, label: '≤ 10 %' },
  requestsPerChangedRecord: { value: 1.05, strict: false, label: '≤ 1.05' },
  /** The drift audit (issue 19) within Intuit's per-realm limits. */
  auditRequestsPerMinute: {
    value: realmRequestsPerMinute,
    strict: false,
    label: `≤ ${realmRequestsPerMinute}/min`,
  },
  auditConcurrentRequests: {
    value: realmConcurrentRequests,
    strict: false,
    label: `≤ ${realmConcurrentRequests} in flight`,
  },
  scaleProbeP95Ms: { value: 1000, strict: true, label: '< 1 s' },
  scaleCpuMsPerPoll: {
    value: Math.round((cpuMsPerPollBefore / 3) * 10) / 10,
    strict: false,
    label: `≤ ${Math.round((cpuMsPerPollBefore / 3) * 10) / 10} ms (a third of ${cpuMsPerPollBefore} ms)`,
  },
} as const satisfies Record<string, Target>;

/** Whether a measured figure is within its target; a figure that could not be measured (NaN) never is. */
export function meets(target: Target, measured: number): boolean {
  return target.strict ? measured < target.value : measured <= target.value;
}
