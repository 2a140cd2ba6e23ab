import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QboObservers } from '../activities/qbo-access';
import type { BudgetLimit, QboRequestSample } from '../qbo';
import type { FreshnessDirection } from '../history/freshness';

/** Seconds; activity runs and freshness span milliseconds to hours. */
const durationBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const freshnessBuckets = [0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 21_600, 86_400];

/**
 * The worker's Prometheus registry: the process, every activity run by type and outcome, QBO requests by
 * realm-free labels and Fault code, time spent waiting for the realm's request budget, queue depth per lane (when
 * given how to count it), and freshness per direction. One per worker process; `src/observability/metrics-server.ts` serves it.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly activityRuns: Counter<'activity' | 'outcome'>;
  private readonly activityDuration: Histogram<'activity' | 'outcome'>;
  private readonly qboRequests: Counter<'method' | 'path' | 'outcome' | 'fault_code'>;
  private readonly qboDuration: Histogram<'method' | 'path'>;
  private readonly budgetWaits: Histogram<'limit'>;
  private readonly freshness: Histogram<'direction'>;

  constructor(options: { laneDepths?: () => Promise<Record<string, number>> } = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'qbo_sync_' });
    this.activityRuns = new Counter({
      name: 'qbo_sync_activity_runs_total',
      help: 'Activity runs finished, by activity type and outcome (completed, cancelled, a failure type, or error).',
      labelNames: ['activity', 'outcome'],
      registers,
    });
    this.activityDuration = new Histogram({
      name: 'qbo_sync_activity_duration_seconds',
      help: 'Activity run duration, by activity type and outcome.',
      labelNames: ['activity', 'outcome'],
      buckets: durationBuckets,
      registers,
    });
    this.qboRequests = new Counter({
      name: 'qbo_sync_qbo_requests_total',
      help: 'QBO API requests, by method, path with ids and realm left out, outcome (ok or the error kind) and Fault code.',
      labelNames: ['method', 'path', 'outcome', 'fault_code'],
      registers,
    });
    this.qboDuration = new Histogram({
      name: 'qbo_sync_qbo_request_duration_seconds',
      help: 'QBO API request duration on the wire (budget waits excluded), by method and path.',
      labelNames: ['method', 'path'],
      buckets: durationBuckets,
      registers,
    });
    this.budgetWaits = new Histogram({
      name: 'qbo_sync_qbo_budget_wait_seconds',
      help: "Time a QBO request waited for its realm's budget, by the limit it waited for.",
      labelNames: ['limit'],
      buckets: durationBuckets,
      registers,
    });
    const laneDepths = options.laneDepths;
    new Gauge({
      name: 'qbo_sync_lane_queue_depth',
      help: 'Records waiting in a lane of work (lane-depths.ts), counted in the database at scrape time.',
      labelNames: ['lane'],
      registers,
      async collect() {
        this.reset();
        if (!laneDepths) return;
        // A database that cannot answer leaves the lanes out of this scrape rather than failing the rest of it.
        const depths = await laneDepths().catch((): undefined => undefined);
        for (const [lane, depth] of Object.entries(depths ?? {})) this.set({ lane }, depth);
      },
    });
    this.freshness = new Histogram({
      name: 'qbo_sync_freshness_seconds',
      help: 'From a change on its source side to it landing on the other, by direction (crm_to_qbo, qbo_to_crm).',
      labelNames: ['direction'],
      buckets: freshnessBuckets,
      registers,
    });
  }

  activityFinished(activity: string, outcome: string, seconds: number): void {
    this.activityRuns.inc({ activity, outcome });
    this.activityDuration.observe({ activity, outcome }, seconds);
  }

  qboRequest(sample: QboRequestSample): void {
    const { method, path, outcome } = sample;
    this.qboRequests.inc({ method, path, outcome, fault_code: sample.faultCode ?? '' });
    this.qboDuration.observe({ method, path }, sample.durationMs / 1000);
  }

  budgetWait(limit: BudgetLimit, waitedMs: number): void {
    this.budgetWaits.observe({ limit }, waitedMs / 1000);
  }

  /** Hooks for `QboAccess`, so every QBO client of the worker reports here. */
  qboObservers(): QboObservers {
    return {
      onRequest: (sample) => this.qboRequest(sample),
      onBudgetWait: (limit, waitedMs) => this.budgetWait(limit, waitedMs),
    };
  }

  changeLanded(direction: FreshnessDirection, lagMs: number): void {
    this.freshness.observe({ direction }, lagMs / 1000);
  }
}
