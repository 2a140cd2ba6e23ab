/**
 * A backfill's progress as the console shows it, from the connection's `backfill` (counts read so far per entity,
 * the entity being read) and the order in which the backfill reads entities. QuickBooks tells no totals up front,
 * so the bar advances by entity type, and the time left is a rough estimate from the types done so far.
 */
export interface BackfillState {
  status: 'running' | 'waiting_for_reconnect' | 'stopped' | 'done';
  startedAt: string;
  finishedAt: string | null;
  counts: Record<string, number>;
  entity: string | null;
}

export interface BackfillProgress {
  percent: number;
  entities: { name: string; read: number; state: 'done' | 'reading' | 'waiting' }[];
  read: number;
  recordsPerSecond: number | null;
  /** Null until an entity type is done, and once the backfill is. */
  secondsLeft: number | null;
}

export function backfillProgress(
  backfill: BackfillState,
  order: readonly string[],
  now: Date,
): BackfillProgress {
  const done = backfill.status === 'done';
  const current = backfill.entity === null ? -1 : order.indexOf(backfill.entity);
  // Before the first page lands, nothing is read yet; after the last, everything is.
  const finished = done ? order.length : Math.max(current, 0);
  const entities = order.map((name, index) => ({
    name,
    read: backfill.counts[name] ?? 0,
    state:
      index < finished ? ('done' as const) : index === current ? ('reading' as const) : ('waiting' as const),
  }));
  const read = entities.reduce((sum, entity) => sum + entity.read, 0);
  const end = done && backfill.finishedAt ? new Date(backfill.finishedAt) : now;
  const elapsedSeconds = (end.getTime() - new Date(backfill.startedAt).getTime()) / 1000;
  const fraction = order.length === 0 ? 1 : finished / order.length;
  return {
    percent: Math.round(fraction * 100),
    entities,
    read,
    recordsPerSecond: elapsedSeconds > 0 ? read / elapsedSeconds : null,
    secondsLeft: done || fraction === 0 ? null : Math.round((elapsedSeconds / fraction) * (1 - fraction)),
  };
}
