import { Types } from 'mongoose';
import { z } from 'zod';
import type { UndoOutcome } from '../../contacts/undo';
import { undoableKinds } from '../../contacts/undo-plan';
import { connectionModel, type ConnectionRecord } from '../../db/models/connection';
import { syncEventModel, type StoredSyncEvent } from '../../history/sync-events';
import { runUndo } from '../../temporal/undo-workflows';
import { decodeCursor, toPage } from '../http/cursor';
import { ApiProblem, invalidFields, notFound } from '../http/problem';
import type { ApiRoutes } from '../http/route';
import type { ApiServices } from '../services';
import { ownedConnection } from './owned';
import { eventJson, syncEventSchema } from './sync-events';

/**
 * Undo of what qbo-sync wrote into QuickBooks (src/contacts/undo.ts): one sync event, or a connection's events by
 * time range and kind. The writes run as a workflow (src/workflows/undo.ts); the route waits for its outcomes.
 */

/** How long a request waits for its undo; a bulk page of a thousand events takes a while. */
const singleWaitMs = 20_000;
const bulkWaitMs = 120_000;

const conflictSchema = z
  .object({
    field: z.string(),
    wrote: z.string().nullable().describe('What qbo-sync wrote.'),
    now: z.string().nullable().describe('What QuickBooks holds now.'),
  })
  .meta({ id: 'UndoConflict' });

const outcomeSchema = z
  .object({
    eventId: z.string(),
    kind: z.enum(undoableKinds),
    at: z.string(),
    outcome: z.enum(['undone', 'conflict', 'refused', 'skipped']),
    undoEventId: z.string().nullable().describe('The `undone` event recorded, when undone.'),
    conflicts: z
      .array(conflictSchema)
      .describe('For a conflict: each field QuickBooks changed since qbo-sync wrote it.'),
    reason: z
      .string()
      .nullable()
      .describe(
        'Why it was skipped (`already_undone`, `not_undoable`, `not_found`) or refused (QuickBooks’ message).',
      ),
  })
  .meta({ id: 'UndoOutcome' });

function conflictMessage(conflict: { field: string; wrote: string | null; now: string | null }): string {
  return `QuickBooks holds ${JSON.stringify(conflict.now)} now; qbo-sync wrote ${JSON.stringify(conflict.wrote)}`;
}

export function addUndoRoutes(routes: ApiRoutes, services: ApiServices): void {
  async function activeConnection(accountId: string, connectionId: string): Promise<ConnectionRecord> {
    const connection = await connectionModel(await services.db())
      .findOne({ _id: connectionId, accountId })
      .lean();
    if (!connection) throw notFound('connection', connectionId);
    if (connection.status !== 'active')
      throw new ApiProblem(
        409,
        'connection_inactive',
        `the connection is ${connection.status}; reconnect it`,
      );
    return connection;
  }

  async function undo(
    connection: ConnectionRecord,
    eventIds: string[],
    waitMs: number,
  ): Promise<UndoOutcome[]> {
    if (eventIds.length === 0) return [];
    const outcomes = await runUndo(
      await services.temporal(),
      { accountId: connection.accountId, connectionId: connection._id, eventIds },
      { taskQueue: services.taskQueue, startTimeoutMs: services.dependencyTimeoutMs, waitMs },
    );
    if (!outcomes)
      throw new ApiProblem(
        503,
        'sync_unavailable',
        'the undo is still running (QuickBooks is slow or unavailable); its `undone` events appear in ' +
          'GET /v1/sync-events?kind=undone when it is done',
        undefined,
        undefined,
        { 'Retry-After': '10' },
      );
    return outcomes;
  }

  routes.add({
    method: 'post',
    path: '/v1/sync-events/{id}/undo',
    tag: 'Sync history',
    summary: 'Undo a change qbo-sync wrote into QuickBooks',
    description:
      'A field update (`updated_qbo`): the previous values are written back, only if QuickBooks still holds what ' +
      'qbo-sync wrote (else 409 `undo_conflict`, naming each field and what it holds now); the contact then shows ' +
      'them too. A created customer (`created`): made inactive, QuickBooks’ soft delete, and the contact stays ' +
      'linked to it without syncing. An invoice or sales receipt written from the CRM (`document_written`): ' +
      'voided. The undo is recorded as an `undone` sync event, which can itself be undone ' +
      '(re-applying the change). An event is undone once: again is 409 `already_undone`.',
    params: z.object({ id: z.string().regex(/^[0-9a-f]{24}$/, 'is not a sync event id') }).strict(),
    problems: [
      'connection_inactive',
      'already_undone',
      'undo_conflict',
      'not_undoable',
      'qbo_rejected',
      'sync_unavailable',
    ],
    responses: { 200: { description: 'The `undone` event recorded.', schema: syncEventSchema } },
    handler: async ({ auth, params }) => {
      const db = await services.db();
      const event = await syncEventModel(db).findById(params.id).lean<StoredSyncEvent>();
      const owner = event
        ? await connectionModel(db).exists({ _id: event.connectionId, accountId: auth.accountId })
        : null;
      if (!event || !owner) throw notFound('sync event', params.id);
      if (!(undoableKinds as readonly string[]).includes(event.kind))
        throw new ApiProblem(
          422,
          'not_undoable',
          `a ${event.kind} event wrote nothing into QuickBooks; only ${undoableKinds.join(', ')} events can be undone`,
          'path.id',
        );
      if (event.undoneBy) throw alreadyUndone(params.id, event.undoneBy);
      const connection = await activeConnection(auth.accountId, event.connectionId);
      const [outcome] = await undo(connection, [params.id], singleWaitMs);
      if (!outcome) throw new Error(`the undo of ${params.id} answered nothing`);
      switch (outcome.outcome) {
        case 'undone': {
          const recorded = await syncEventModel(db).findById(outcome.undoEventId).lean<StoredSyncEvent>();
          if (!recorded) throw new Error(`the undo event ${outcome.undoEventId} vanished`);
          return { status: 200, body: eventJson(recorded) };
        }
        case 'conflict':
          throw new ApiProblem(
            409,
            'undo_conflict',
            `QuickBooks changed ${outcome.conflicts.map((conflict) => conflict.field).join(', ')} since qbo-sync ` +
              'wrote it: nothing was undone',
            outcome.conflicts[0]?.field,
            outcome.conflicts.map((conflict) => ({
              field: conflict.field,
              message: conflictMessage(conflict),
            })),
          );
        case 'refused':
          throw new ApiProblem(422, 'qbo_rejected', outcome.reason);
        case 'skipped':
          if (outcome.reason === 'already_undone') throw alreadyUndone(params.id, outcome.undoneBy ?? null);
          if (outcome.reason === 'not_found') throw notFound('sync event', params.id);
          throw new ApiProblem(
            422,
            'not_undoable',
            `sync event ${params.id} cannot be undone: QuickBooks cannot take back a void, nor void an estimate`,
            'path.id',
          );
      }
    },
  });

  routes.add({
    method: 'post',
    path: '/v1/connections/{id}/undo',
    tag: 'Sync history',
    summary: 'Undo what qbo-sync wrote into QuickBooks in a time range, or of one kind',
    description:
      'Undoes the connection’s `created`, `updated_qbo` and `document_written` events (or the `kind` named, ' +
      '`undone` included) ' +
      'between `from` and `to`, newest first, so stacked edits of one field unwind in order: each as ' +
      '`POST /v1/sync-events/{id}/undo` would, with its outcome here rather than as a problem. At most `limit` ' +
      'events per call; pass `nextCursor` back as `cursor` for the next ones.',
    params: z.object({ id: z.string().max(100) }).strict(),
    body: z
      .object({
        from: z.iso.datetime({ offset: true }).optional().describe('Events at or after this time.'),
        to: z.iso.datetime({ offset: true }).optional().describe('Events before this time.'),
        kind: z.enum(undoableKinds).optional().describe('Only events of this kind.'),
        limit: z.number().int().min(1).max(1000).default(100).describe('Events per call (1–1000).'),
        cursor: z.string().max(500).optional().describe('`nextCursor` from the previous call.'),
      })
      .strict(),
    problems: ['connection_inactive', 'invalid_cursor', 'sync_unavailable'],
    responses: {
      200: {
        description: 'Each event’s outcome, newest first.',
        schema: z
          .object({
            data: z.array(outcomeSchema),
            nextCursor: z
              .string()
              .nullable()
              .describe('Pass as `cursor` for the next events; null after the last.'),
          })
          .meta({ id: 'BulkUndoResult' }),
      },
    },
    handler: async ({ auth, params, body }) => {
      const connection = await ownedConnection(services, auth.accountId, params.id);
      if (!body.from && !body.to && !body.kind)
        throw invalidFields([{ field: 'body', message: 'name a time range (`from`, `to`) or a `kind`' }]);
      if (body.from && body.to && Date.parse(body.from) >= Date.parse(body.to))
        throw invalidFields([{ field: 'body.to', message: 'must be after `from`' }]);
      const after = decodeCursor(body.cursor, 'body.cursor', { ids: 'objectId' });
      await activeConnection(auth.accountId, connection._id);
      const found = await syncEventModel(await services.db())
        .find({
          connectionId: connection._id,
          kind: body.kind ?? { $in: ['created', 'updated_qbo', 'document_written'] },
          ...(body.from || body.to
            ? {
                at: {
                  ...(body.from ? { $gte: new Date(body.from) } : {}),
                  ...(body.to ? { $lt: new Date(body.to) } : {}),
                },
              }
            : {}),
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
        .limit(body.limit + 1)
        .lean<StoredSyncEvent[]>();
      const page = toPage(found, body.limit, (event) => ({
        at: event.at.toISOString(),
        id: event._id.toHexString(),
      }));
      const pending = page.data.filter((event) => !event.undoneBy).map((event) => event._id.toHexString());
      const outcomes = new Map(
        (await undo(connection, pending, bulkWaitMs)).map((outcome) => [outcome.eventId, outcome]),
      );
      const data = page.data.map((event) => {
        const id = event._id.toHexString();
        const outcome: UndoOutcome = outcomes.get(id) ?? {
          eventId: id,
          outcome: 'skipped',
          reason: 'already_undone',
          ...(event.undoneBy ? { undoneBy: event.undoneBy } : {}),
        };
        return {
          eventId: id,
          kind: event.kind as (typeof undoableKinds)[number],
          at: event.at.toISOString(),
          outcome: outcome.outcome,
          undoEventId: outcome.outcome === 'undone' ? outcome.undoEventId : null,
          conflicts: outcome.outcome === 'conflict' ? outcome.conflicts : [],
          reason: outcome.outcome === 'skipped' || outcome.outcome === 'refused' ? outcome.reason : null,
        };
      });
      return { status: 200, body: { data, nextCursor: page.nextCursor } };
    },
  });
}

function alreadyUndone(eventId: string, undoneBy: string | null): ApiProblem {
  return new ApiProblem(
    409,
    'already_undone',
    `sync event ${eventId} is undone already${undoneBy ? ` (by ${undoneBy}; undo that to re-apply it)` : ''}`,
    'path.id',
  );
}
