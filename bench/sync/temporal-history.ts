import type { Client } from '@temporalio/client';
import { round } from '../lib/stats';

type Timestamp =
  { seconds?: number | { toNumber(): number } | null; nanos?: number | null } | null | undefined;

function ms(ts: Timestamp): number {
  if (!ts) return Number.NaN;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : (ts.seconds?.toNumber() ?? 0);
  return seconds * 1000 + (ts.nanos ?? 0) / 1e6;
}

interface ActivitySpan {
  type: string;
  scheduled: number;
  started?: number;
  completed?: number;
}

export interface HistoryBreakdown {
  runs: number;
  events: number;
  /** Epoch ms of the first event: when the workflow started. */
  firstEventAt: number;
  /** First event of the first run to the last event of the last run. */
  workflowMs: number;
  activities: Record<string, { count: number; totalMs: number; medianMs: number }>;
  /** Time activities waited in the task queue before a worker picked them up. */
  scheduleToStartMs: number;
  /** Time between one activity completing and the next being scheduled: the workflow task round trip. */
  betweenActivitiesMs: number;
}

/** Where a workflow's time went, from its own event history (every run of a continue-as-new chain). */
export async function historyBreakdown(client: Client, workflowId: string): Promise<HistoryBreakdown> {
  const runIds: string[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
    runIds.push(execution.runId);
  const spans: ActivitySpan[] = [];
  let events = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const runId of runIds) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const byScheduledId = new Map<string, ActivitySpan>();
    for (const event of history.events ?? []) {
      events += 1;
      const at = ms(event.eventTime);
      first = Math.min(first, at);
      last = Math.max(last, at);
      const id = String(event.eventId);
      if (event.activityTaskScheduledEventAttributes) {
        const span = {
          type: event.activityTaskScheduledEventAttributes.activityType?.name ?? '?',
          scheduled: at,
        };
        byScheduledId.set(id, span);
        spans.push(span);
      } else if (event.activityTaskStartedEventAttributes) {
        const span = byScheduledId.get(String(event.activityTaskStartedEventAttributes.scheduledEventId));
        if (span) span.started = at;
      } else if (event.activityTaskCompletedEventAttributes) {
        const span = byScheduledId.get(String(event.activityTaskCompletedEventAttributes.scheduledEventId));
        if (span) span.completed = at;
      }
    }
  }
  spans.sort((a, b) => a.scheduled - b.scheduled);
  const activities: HistoryBreakdown['activities'] = {};
  const durations = new Map<string, number[]>();
  let scheduleToStartMs = 0;
  let betweenActivitiesMs = 0;
  spans.forEach((span, index) => {
    if (span.started !== undefined) scheduleToStartMs += span.started - span.scheduled;
    if (span.started !== undefined && span.completed !== undefined) {
      const list = durations.get(span.type) ?? [];
      list.push(span.completed - span.started);
      durations.set(span.type, list);
    }
    const previous = spans[index - 1];
    if (previous?.completed !== undefined) betweenActivitiesMs += span.scheduled - previous.completed;
  });
  for (const [type, list] of durations) {
    const sorted = [...list].sort((a, b) => a - b);
    activities[type] = {
      count: list.length,
      totalMs: round(
        list.reduce((sum, value) => sum + value, 0),
        0,
      ),
      medianMs: round(sorted[Math.floor((sorted.length - 1) / 2)] ?? 0, 1),
    };
  }
  return {
    runs: runIds.length,
    events,
    firstEventAt: round(first, 0),
    workflowMs: round(last - first, 0),
    activities,
    scheduleToStartMs: round(scheduleToStartMs, 0),
    betweenActivitiesMs: round(betweenActivitiesMs, 0),
  };
}
