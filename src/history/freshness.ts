/**
 * Where domain code reports freshness (how long a change took to land on the other side) without knowing about
 * metrics: the sync history calls `reportFreshness` for every applied change it records, and a worker process that
 * keeps metrics listens. Dependency-free on purpose, so the deepest code can import it.
 */
export type FreshnessDirection = 'crm_to_qbo' | 'qbo_to_crm';

type Listener = (direction: FreshnessDirection, lagMs: number) => void;

const listeners = new Set<Listener>();

/** Sync-event kinds that are a change landing, and the direction each travelled (as in sync health). */
const directions: Partial<Record<string, FreshnessDirection>> = {
  created: 'crm_to_qbo',
  updated_qbo: 'crm_to_qbo',
  updated_crm: 'qbo_to_crm',
};

export function reportFreshness(kind: string, lagMs: number): void {
  const direction = directions[kind];
  if (direction === undefined) return;
  for (const listener of listeners) listener(direction, lagMs);
}

/** Listens until the returned function is called. */
export function onFreshness(listener: Listener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}
