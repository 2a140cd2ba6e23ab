import type { Connection as MongoConnection } from 'mongoose';
import { readAudit } from '../audit/store';
import { countContacts } from '../contacts/store';
import { pauseView, tokenHealth, type ConnectionRecord } from '../db/models/connection';
import { budgetUsed } from '../db/models/qbo-budget';
import { syncEventModel } from '../history/sync-events';
import { qboCustomerModel } from '../projections/models';
import { qboLimits } from '../qbo';
import { percentile } from './percentiles';
import { countMatching } from '../db/count';

/**
 * What support needs to judge a connection at a glance: how many contacts are in sync, waiting, failing or
 * excluded; how fresh changes are in each direction; when Intuit last called and when we last polled; how much of
 * the realm's QBO request budget is in use; and whether the tokens are healthy.
 */
export interface ConnectionHealth {
  /** Paused since when, and why: pending contacts then wait for the resume rather than for the engine. */
  paused: { since: string; note: string } | null;
  records: { inSync: number; pending: number; failing: number; excluded: number };
  freshness: Record<'qboToCrm' | 'crmToQbo', { p50Ms: number | null; p95Ms: number | null; samples: number }>;
  lastWebhookAt: string | null;
  lastPolledAt: string | null;
  apiBudget: { perMinute: number; usedThisMinute: number; usedLastMinute: number };
  tokens: {
    state: 'ok' | 'refresh_expiring' | 'needs_reauth' | 'none';
    accessExpiresAt: string | null;
    refreshExpiresAt: string | null;
    lastRefreshedAt: string | null;
  };
  /** The latest completed drift audit: how many links disagreed with QBO, of how many compared, and how many healed. */
  drift: { auditedAt: string; drifted: number; compared: number; rate: number; healed: number } | null;
}

/** Freshness is judged over the changes of the last day, the most recent ones first. */
const freshnessWindowMs = 86_400_000;
const maxSamples = 2000;
/** Intuit's refresh tokens last 100 days; warn a week before, so someone reconnects in time. */
const refreshWarningMs = 7 * 86_400_000;

export async function connectionHealth(
  db: MongoConnection,
  connection: ConnectionRecord,
  now: Date,
): Promise<ConnectionHealth> {
  const connectionId = connection._id;
  const since = new Date(now.getTime() - freshnessWindowMs);
  const lags = (kinds: string[]) =>
    syncEventModel(db)
      .find(
        { connectionId, kind: { $in: kinds }, at: { $gte: since }, lagMs: { $exists: true } },
        { lagMs: 1 },
      )
      .sort({ at: -1 })
      .limit(maxSamples)
      .lean();
  const [states, mergedAway, fromQbo, fromCrm, budget, tokens, audit] = await Promise.all([
    countContacts(db, connectionId),
    countMatching(qboCustomerModel(db), { connectionId, mergedInto: { $exists: true } }),
    lags(['updated_crm']),
    lags(['updated_qbo', 'created']),
    budgetUsed(db, connection.realmId, now),
    tokenHealth(db, connectionId),
    readAudit(db, connectionId),
  ]);
  const summary = (events: { lagMs?: number }[]) => {
    const samples = events.map((event) => event.lagMs!);
    return { p50Ms: percentile(samples, 50), p95Ms: percentile(samples, 95), samples: samples.length };
  };
  return {
    paused: pauseView(connection),
    records: {
      inSync: states.synced,
      pending: states.pending,
      failing: states.rejected,
      excluded: states.deleted + mergedAway,
    },
    freshness: { qboToCrm: summary(fromQbo), crmToQbo: summary(fromCrm) },
    lastWebhookAt: connection.lastWebhookAt?.toISOString() ?? null,
    lastPolledAt: connection.lastPolledAt?.toISOString() ?? null,
    apiBudget: {
      perMinute: qboLimits.perMinute,
      usedThisMinute: budget.thisMinute,
      usedLastMinute: budget.lastMinute,
    },
    tokens: {
      state:
        connection.status === 'needs_reauth'
          ? 'needs_reauth'
          : !tokens
            ? 'none'
            : tokens.refreshExpiresAt.getTime() - now.getTime() < refreshWarningMs
              ? 'refresh_expiring'
              : 'ok',
      accessExpiresAt: tokens?.accessExpiresAt.toISOString() ?? null,
      refreshExpiresAt: tokens?.refreshExpiresAt.toISOString() ?? null,
      lastRefreshedAt: tokens?.refreshedAt.toISOString() ?? null,
    },
    drift:
      audit?.status === 'completed' && audit.counts && audit.finishedAt
        ? {
            auditedAt: audit.finishedAt.toISOString(),
            drifted: audit.counts.drifted,
            compared: audit.counts.compared,
            rate: audit.rate ?? 0,
            healed: audit.counts.healed,
          }
        : null,
  };
}
