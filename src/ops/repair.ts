import { RepairProblem, resolveConflict, retryContacts } from '../connections/repair';
import { syncEventModel } from '../history/sync-events';
import { OpsContext, OpsError } from './context';
import type { Outcome } from './output';

/** Repairs through the same functions as the API: retry contacts, decide a conflict. */

async function repair<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RepairProblem) throw new OpsError(error.message);
    throw error;
  }
}

export async function retry(
  ctx: OpsContext,
  connectionId: string,
  crmContactIds: string[],
): Promise<Outcome> {
  const connection = await ctx.connection(connectionId);
  const deps = await ctx.repairDeps();
  const queued = await repair(() =>
    retryContacts(deps, connection, crmContactIds.length > 0 ? crmContactIds : undefined),
  );
  return {
    json: { connectionId, queued },
    text:
      queued.length === 0
        ? `Nothing to retry: every contact of ${connectionId} is in sync.`
        : `Queued ${queued.length} contacts of ${connectionId} for QuickBooks: ${queued.join(', ')}`,
  };
}

export async function resolve(ctx: OpsContext, syncEventId: string, choice: 'qbo' | 'crm'): Promise<Outcome> {
  const db = await ctx.db();
  const event = /^[0-9a-f]{24}$/.test(syncEventId)
    ? await syncEventModel(db).findById(syncEventId, { connectionId: 1 }).lean()
    : null;
  if (!event)
    throw new OpsError(
      `no sync event ${syncEventId}: conflicts are listed by GET /v1/sync-events?status=conflict`,
    );
  const connection = await ctx.connection(event.connectionId);
  const deps = await ctx.repairDeps();
  const resolved = await repair(() => resolveConflict(deps, connection.accountId, syncEventId, choice));
  const field = resolved.fields?.[0] ?? 'the field';
  return {
    json: {
      id: syncEventId,
      connectionId: resolved.connectionId,
      crmContactId: resolved.crmContactId ?? null,
      fields: resolved.fields ?? [],
      resolution: resolved.resolution,
    },
    text:
      choice === 'crm'
        ? `Resolved: the CRM's value of ${field} is written to QuickBooks for contact ${resolved.crmContactId}.`
        : `Resolved: QuickBooks' value of ${field} stays, as applied.`,
  };
}
