import { Types } from 'mongoose';
import { z } from 'zod';
import {
  RepairProblem,
  resolveConflict,
  retryContacts,
  type RepairDeps,
  type StoredSyncEvent,
} from '../../connections/repair';
import { connectionModel, type ConnectionRecord } from '../../db/models/connection';
import { connectionHealth } from '../../health/connection-health';
import { syncEventKinds, syncEventModel } from '../../history/sync-events';
import { decodeCursor, pageOf, pageQuery, toPage } from '../http/cursor';
import { ApiProblem } from '../http/problem';
import type { ApiRoutes } from '../http/route';
import type { ApiServices } from '../services';
import { ownedConnection } from './owned';

const kinds = syncEventKinds;

/** Where the change came from: the CRM (written to QBO), QuickBooks (merged into the contact), or both (a conflict). */
const sourceOf: Record<(typeof kinds)[number], 'crm' | 'qbo' | 'both' | 'sync'> = {
  linked: 'sync',
  relinked: 'qbo',
  unlinked: 'qbo',
  created: 'crm',
  updated_qbo: 'crm',
  updated_crm: 'qbo',
  conflict: 'both',
  rejected: 'crm',
  contact_deleted: 'crm',
  undone: 'crm',
  document_written: 'crm',
};

export const syncEventSchema = z
  .object({
    id: z.string(),
    connectionId: z.string(),
    crmContactId: z.string().nullable(),
    qboCustomerId: z.string().nullable(),
    kind: z.enum(kinds),
    source: z.enum(['crm', 'qbo', 'both', 'sync']),
    status: z.enum(['applied', 'failed', 'conflict', 'resolved']),
    fields: z.array(z.string()),
    detail: z
      .record(z.string(), z.unknown())
      .describe('Changes as `{ field, from, to }`, conflict values, or the problems QBO’s rules found.'),
    lagMs: z.number().nullable(),
    resolution: z
      .object({ choice: z.enum(['qbo', 'crm']), at: z.string() })
      .nullable()
      .describe('For a conflict a person decided: the side chosen (the value applied is in `detail`).'),
    undoes: z.string().nullable().describe('For an `undone` event: the sync event it undid.'),
    undoneBy: z
      .string()
      .nullable()
      .describe('The `undone` event that undid this change (`POST /v1/sync-events/{id}/undo`).'),
    at: z.string(),
  })
  .meta({ id: 'SyncEvent' });

function statusOf(event: StoredSyncEvent): z.infer<typeof syncEventSchema>['status'] {
  if (event.kind === 'rejected') return 'failed';
  if (event.kind === 'conflict') return event.resolution ? 'resolved' : 'conflict';
  return 'applied';
}

export function eventJson(event: StoredSyncEvent): z.infer<typeof syncEventSchema> {
  return {
    id: event._id.toHexString(),
    connectionId: event.connectionId,
    crmContactId: event.crmContactId ?? null,
    qboCustomerId: event.qboCustomerId ?? null,
    kind: event.kind,
    source: sourceOf[event.kind],
    status: statusOf(event),
    fields: event.fields ?? [],
    detail: event.detail ?? {},
    lagMs: event.lagMs ?? null,
    resolution: event.resolution
      ? { choice: event.resolution.choice, at: event.resolution.at.toISOString() }
      : null,
    undoes: event.undoes ?? null,
    undoneBy: event.undoneBy ?? null,
    at: event.at.toISOString(),
  };
}

const statusFilter: Record<'failed' | 'conflict' | 'resolved' | 'applied', Record<string, unknown>> = {
  failed: { kind: 'rejected' },
  conflict: { kind: 'conflict', resolution: { $exists: false } },
  resolved: { kind: 'conflict', resolution: { $exists: true } },
  applied: { kind: { $nin: ['rejected', 'conflict'] } },
};

const healthSchema = z
  .object({
    connectionId: z.string(),
    status: z.enum(['active', 'needs_reauth', 'disconnected']),
    paused: z
      .object({ since: z.string(), note: z.string() })
      .nullable()
      .describe(
        'The sync is paused (`POST /v1/connections/{id}/pause`): pending contacts wait for the resume.',
      ),
    records: z.object({ inSync: z.number(), pending: z.number(), failing: z.number(), excluded: z.number() }),
    freshness: z.object({
      qboToCrm: z.object({ p50Ms: z.number().nullable(), p95Ms: z.number().nullable(), samples: z.number() }),
      crmToQbo: z.object({ p50Ms: z.number().nullable(), p95Ms: z.number().nullable(), samples: z.number() }),
    }),
    lastWebhookAt: z.string().nullable(),
    lastPolledAt: z.string().nullable(),
    apiBudget: z.object({ perMinute: z.number(), usedThisMinute: z.number(), usedLastMinute: z.number() }),
    tokens: z.object({
      state: z.enum(['ok', 'refresh_expiring', 'needs_reauth', 'none']),
      accessExpiresAt: z.string().nullable(),
      refreshExpiresAt: z.string().nullable(),
      lastRefreshedAt: z.string().nullable(),
    }),
    drift: z
      .object({
        auditedAt: z.string(),
        drifted: z.number().int(),
        compared: z.number().int(),
        rate: z.number(),
        healed: z.number().int(),
      })
      .nullable()
      .describe(
        'The latest completed drift audit (`GET /v1/connections/{id}/audit`); null before the first.',
      ),
  })
  .meta({ id: 'ConnectionHealth' });

const repairProblems: Record<RepairProblem['code'], number> = {
  not_found: 404,
  connection_inactive: 409,
  conflict_resolved: 409,
};

/** Sync history and repair: what changed and why, failed records retried, conflicts decided the other way. */
export function addSyncEventRoutes(routes: ApiRoutes, services: ApiServices): void {
  const owned = (accountId: string, id: string): Promise<ConnectionRecord> =>
    ownedConnection(services, accountId, id);
  const accountConnections = async (accountId: string, connectionId?: string): Promise<string[]> => {
    if (connectionId) return [(await owned(accountId, connectionId))._id];
    const found = await connectionModel(await services.db())
      .find({ accountId }, { _id: 1 })
      .lean();
    return found.map((connection) => connection._id);
  };

  /** Runs a repair, turning its refusals into problems. */
  async function repair<T>(work: (deps: RepairDeps) => Promise<T>): Promise<T> {
    try {
      return await work({
        db: await services.db(),
        temporal: services.temporal,
        dependencyTimeoutMs: services.dependencyTimeoutMs,
        ...(services.retention ? { retention: services.retention } : {}),
        now: services.now,
      });
    } catch (error) {
      if (error instanceof RepairProblem)
        throw new ApiProblem(repairProblems[error.code], error.code, error.message);
      throw error;
    }
  }

  routes.add({
    method: 'get',
    path: '/v1/connections/{id}/health',
    tag: 'Sync history',
    summary: 'Sync health: records in sync, pending, failing and excluded; freshness; budget; tokens',
    params: z.object({ id: z.string().max(100) }).strict(),
    responses: { 200: { description: 'The connection’s health.', schema: healthSchema } },
    handler: async ({ auth, params }) => {
      const connection = await owned(auth.accountId, params.id);
      const health = await connectionHealth(await services.db(), connection, services.now());
      return { status: 200, body: { connectionId: connection._id, status: connection.status, ...health } };
    },
  });

  routes.add({
    method: 'get',
    path: '/v1/sync-events',
    tag: 'Sync history',
    summary: 'Every change applied, conflict and refusal, newest first',
    query: z
      .object({
        connectionId: z.string().max(100).optional(),
        crmContactId: z.string().max(200).optional(),
        qboCustomerId: z.string().max(50).optional(),
        kind: z.enum(kinds).optional(),
        status: z.enum(['applied', 'failed', 'conflict', 'resolved']).optional(),
        ...pageQuery,
      })
      .strict(),
    problems: ['invalid_cursor'],
    responses: {
      200: { description: 'A page of sync events.', schema: pageOf(syncEventSchema, 'SyncEventPage') },
    },
    handler: async ({ auth, query }) => {
      const after = decodeCursor(query.cursor, 'query.cursor', { ids: 'objectId' });
      const found = await syncEventModel(await services.db())
        .find({
          connectionId: { $in: await accountConnections(auth.accountId, query.connectionId) },
          ...(query.crmContactId ? { crmContactId: query.crmContactId } : {}),
          ...(query.qboCustomerId ? { qboCustomerId: query.qboCustomerId } : {}),
          ...(query.kind ? { kind: query.kind } : {}),
          ...(query.status ? statusFilter[query.status] : {}),
          ...(after
            ? {
                $or: [
                  { at: { $lt: new Date(after.at) } },
                  { at: new Date(after.at), _id: { $lt: new Types.ObjectId(after.id) } },
                ],
              }
            : {}),
        })
        .sort({ at: -1, _id: -1 })
        .limit(query.limit + 1)
        .lean<StoredSyncEvent[]>();
      const page = toPage(found, query.limit, (event) => ({
        at: event.at.toISOString(),
        id: event._id.toHexString(),
      }));
      return { status: 200, body: { data: page.data.map(eventJson), nextCursor: page.nextCursor } };
    },
  });

  routes.add({
    method: 'post',
    path: '/v1/connections/{id}/retry',
    tag: 'Sync history',
    summary: 'Retry contacts that failed or are still waiting: the ones named, or all of them',
    params: z.object({ id: z.string().max(100) }).strict(),
    body: z
      .object({
        crmContactIds: z
          .array(z.string().min(1).max(200))
          .min(1)
          .max(1000)
          .optional()
          .describe('Omit to retry every failing and pending contact of the connection.'),
      })
      .strict(),
    problems: ['connection_inactive'],
    responses: {
      202: {
        description: 'The contacts queued.',
        schema: z.object({ queued: z.array(z.string()) }).meta({ id: 'RetryResult' }),
      },
    },
    handler: async ({ auth, params, body }) => {
      const connection = await owned(auth.accountId, params.id);
      const queued = await repair((deps) => retryContacts(deps, connection, body.crmContactIds));
      return { status: 202, body: { queued } };
    },
  });

  routes.add({
    method: 'post',
    path: '/v1/sync-events/{id}/resolve',
    tag: 'Sync history',
    summary: 'Decide a conflict: apply QuickBooks’ value or the CRM’s, on both sides',
    description:
      'For a conflict the rules decided, choosing the side that lost writes its value to the other side; for one ' +
      'held for a person (`manual`), the chosen value is written and the field syncs again. The event records the ' +
      'choice and the value applied.',
    params: z.object({ id: z.string().regex(/^[0-9a-f]{24}$/, 'is not a sync event id') }).strict(),
    body: z.object({ choice: z.enum(['qbo', 'crm']) }).strict(),
    problems: ['conflict_resolved', 'connection_inactive'],
    responses: { 200: { description: 'The resolved conflict.', schema: syncEventSchema } },
    handler: async ({ auth, params, body }) => {
      const resolved = await repair((deps) => resolveConflict(deps, auth.accountId, params.id, body.choice));
      return { status: 200, body: eventJson(resolved) };
    },
  });
}
