import { WorkflowNotFoundError } from '@temporalio/client';
import type { Connection as MongoConnection } from 'mongoose';
import { z } from 'zod';
import {
  contactFeed,
  ContactProblem,
  deleteContact,
  readContact,
  resolveConnection,
  storeContact,
  type ContactView,
} from '../../contacts/service';
import { connectionModel, type ConnectionRecord } from '../../db/models/connection';
import { embedPanelPath, maxEmbedTokenTtlSeconds, mintEmbedToken } from '../embed';
import {
  contactSectionSchema,
  InvalidCursorError,
  listContactTransactions,
  liveContactLink,
  liveTransactionStatusSchema,
  loadContactSection,
  maxTransactionPageSize,
  transactionPageSchema,
  transactionTypeSchema,
} from '../../contacts/section';
import { lineageRules, lineageChannels, lineageStates, loadContactLineage } from '../../contacts/lineage';
import { contactKey, linkMethods } from '../../contacts/model';
import { readContactRecord } from '../../contacts/store';
import { loadFields } from '../../db/field-maps';
import { syncFieldNames, toSyncFields } from '../../sync/fields';
import { connectionWorkflowId } from '../../temporal/connection-workflows';
import { companyToday } from '../../time/company-zone';
import { contactsChangedSignal } from '../../workflows/connection-messages';
import { decodeCursor, pageOf, pageQuery, toPage } from '../http/cursor';
import { ApiProblem, notFound } from '../http/problem';
import type { ApiRoutes } from '../http/route';
import type { ApiServices } from '../services';
import { connectionIdQuery, contactFieldsSchema, isoTime } from './schemas';

const contactSchema = z
  .object({
    crmContactId: z.string(),
    connectionId: z.string(),
    updatedAt: z.string(),
    fields: contactFieldsSchema,
    deleted: z.boolean(),
    quickbooks: z
      .object({
        customerId: z.string(),
        linkedBy: z.enum(linkMethods),
        syncedAt: z.string().nullable(),
        link: z.string().describe('Opens the customer in the QuickBooks web app.'),
      })
      .nullable(),
    sync: z.object({
      state: z.enum(['pending', 'synced', 'rejected', 'deleted']),
      clampedUpdatedAt: z
        .string()
        .nullable()
        .describe(
          'The `updatedAt` the CRM sent when it was ahead of our clock by more than the skew tolerance: the ' +
            'contact is ordered by the time we received it instead.',
        ),
      heldFields: z
        .array(z.string())
        .describe(
          'Fields held for a person to decide (conflict policy `manual`): see `GET /v1/sync-events`.',
        ),
      lastEvent: z
        .object({
          kind: z.string(),
          at: z.string(),
          fields: z.array(z.string()),
          detail: z.record(z.string(), z.unknown()),
        })
        .nullable(),
    }),
  })
  .meta({ id: 'Contact' });

const feedItemSchema = z
  .object({
    connectionId: z.string(),
    qboCustomerId: z.string(),
    crmContactId: z.string().nullable().describe('Null for a customer no contact is linked to yet.'),
    active: z.boolean(),
    mergedInto: z.string().nullable(),
    fields: contactFieldsSchema,
    changedAt: z.string(),
    link: z.string(),
  })
  .meta({ id: 'ContactFeedItem' });

const lineageSchema = z
  .object({
    crmContactId: z.string(),
    connectionId: z.string(),
    fields: z.array(
      z.object({
        field: z.enum(syncFieldNames),
        value: z.string().nullable().describe('The value the CRM reads, QuickBooks’ changes merged in.'),
        state: z
          .enum(lineageStates)
          .describe(
            '`synced`: both sides hold the agreed value; `pending`: the CRM sent a value not written yet; `held`: ' +
              'waiting for a person (conflict policy `manual`); `unsynced`: no agreed value (not linked, or ' +
              'the field is not synced).',
          ),
        side: z.enum(['qbo', 'crm', 'both']).nullable().describe('Which side set the agreed value.'),
        setAt: z.string().nullable().describe('When that side set it.'),
        agreedAt: z.string().nullable().describe('When the two sides were brought to agree on it.'),
        rule: z
          .enum(lineageRules)
          .nullable()
          .describe(
            'Why this value: the merge rule (`one_side_changed`, `most_recent`, `tie_qbo_wins`, `fill`, ' +
              '`person`, …), `created` (the customer was created from the contact) or `agreed` (both sides ' +
              'already held it). Null when the change that set it has left the history.',
          ),
        change: z
          .object({
            eventId: z.string().describe('The sync event (`GET /v1/sync-events`).'),
            kind: z.string(),
            at: z.string(),
            channel: z
              .enum(lineageChannels)
              .nullable()
              .describe(
                '`put`: the CRM’s PUT; QuickBooks’ changes as the engine saw them: `webhook`, `cdc_poll`, ' +
                  '`backfill`, `audit`, or `push` (read while writing a PUT).',
              ),
            qboSyncToken: z.string().nullable().describe('QuickBooks’ version of the customer holding it.'),
            conflictEventId: z.string().nullable().describe('The conflict, when both sides had changed it.'),
          })
          .nullable(),
        crmChange: z
          .object({ at: z.string(), receivedAt: z.string() })
          .nullable()
          .describe('The CRM version that last changed the field: its time, and when it reached us.'),
      }),
    ),
  })
  .meta({ id: 'ContactLineage' });

const contactParams = z.object({ crmContactId: z.string().min(1).max(200) }).strict();
const connectionQuery = z.object({ connectionId: connectionIdQuery }).strict();

const contactProblems: Record<ContactProblem['code'], number> = {
  no_connection: 409,
  connection_required: 400,
  connection_inactive: 409,
  stale_contact: 409,
  customer_not_found: 422,
  customer_already_linked: 409,
};

/** Naming the connection, or leaving it out, can fail on every contact route. */
const connectionProblems = ['connection_required', 'no_connection'] as const;

export function addContactRoutes(routes: ApiRoutes, services: ApiServices): void {
  /** Runs contact work, turning the service's refusals into problems. */
  async function contactWork<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ContactProblem)
        throw new ApiProblem(
          contactProblems[error.code],
          error.code,
          error.choices
            ? `${error.message}: ${error.choices.map((choice) => `${choice.id} (${choice.companyName ?? 'unnamed'})`).join(', ')}`
            : error.message,
          error.field,
        );
      throw error;
    }
  }
  const connectionFor = async (accountId: string, connectionId: string | undefined, field: string) => {
    const db = await services.db();
    let connection: ConnectionRecord | null;
    try {
      connection = await resolveConnection(db, accountId, connectionId, field);
    } catch (error) {
      if (error instanceof ContactProblem && error.code === 'connection_required')
        throw new ContactProblem(error.code, await choicesOfConnection(db, accountId), error.field);
      throw error;
    }
    if (!connection) throw notFound('connection', connectionId ?? '');
    return connection;
  };
  const existing = async (connection: ConnectionRecord, crmContactId: string): Promise<ContactView> => {
    const contact = await readContact(await services.db(), connection, crmContactId);
    if (!contact) throw notFound('contact', crmContactId);
    return contact;
  };

  /** The workflow writes the contact to QBO; if it cannot be told, the CRM must retry (the PUT is idempotent). */
  async function tellWorkflow(connection: ConnectionRecord, crmContactId: string): Promise<void> {
    try {
      const client = await services.temporal();
      await client.withDeadline(Date.now() + services.dependencyTimeoutMs, () =>
        client.workflow
          .getHandle(connectionWorkflowId(connection._id))
          .signal(contactsChangedSignal, { crmContactIds: [crmContactId] }),
      );
    } catch (error) {
      if (error instanceof WorkflowNotFoundError)
        throw new ApiProblem(409, 'connection_inactive', 'the connection is not syncing; reconnect it');
      services.log.warn({ err: error, connectionId: connection._id }, 'could not signal the connection');
      throw new ApiProblem(
        503,
        'sync_unavailable',
        'the contact is stored but the sync engine did not answer; retry the request',
        undefined,
        undefined,
        { 'Retry-After': '5' },
      );
    }
  }

  routes.add({
    method: 'put',
    path: '/v1/contacts/{crmContactId}',
    tag: 'Contacts',
    summary: 'Create or replace a contact; it is written to QuickBooks within a second',
    description:
      'Send the whole contact as the CRM holds it, with its `updatedAt`. Unlinked contacts are matched to an ' +
      'existing QuickBooks customer (email, then name) or created; linked ones are merged field by field. ' +
      'Set `qboCustomerId` to adopt a customer announced by `contact.created`.',
    params: contactParams,
    query: connectionQuery,
    body: z
      .object({
        updatedAt: isoTime.describe('When the CRM last changed the contact.'),
        fields: contactFieldsSchema,
        qboCustomerId: z.string().max(50).optional(),
      })
      .strict(),
    problems: [
      ...connectionProblems,
      'connection_inactive',
      'stale_contact',
      'customer_not_found',
      'customer_already_linked',
      'sync_unavailable',
    ],
    responses: { 202: { description: 'Stored; the sync to QuickBooks is queued.', schema: contactSchema } },
    handler: async ({ auth, params, query, body }) =>
      contactWork(async () => {
        const connection = await connectionFor(auth.accountId, query.connectionId, 'query.connectionId');
        const fields = toSyncFields(loadFields(body.fields));
        await storeContact(
          await services.db(),
          connection,
          params.crmContactId,
          {
            fields,
            updatedAt: body.updatedAt,
            ...(body.qboCustomerId ? { qboCustomerId: body.qboCustomerId } : {}),
          },
          services.now(),
          services.retention,
        );
        await tellWorkflow(connection, params.crmContactId);
        return { status: 202, body: await existing(connection, params.crmContactId) };
      }),
  });

  routes.add({
    method: 'delete',
    path: '/v1/contacts/{crmContactId}',
    tag: 'Contacts',
    summary: 'Delete a contact; its QuickBooks customer is left as it is',
    params: contactParams,
    query: connectionQuery,
    problems: [...connectionProblems, 'connection_inactive', 'sync_unavailable'],
    responses: {
      202: { description: 'Marked deleted; the link becomes a tombstone.', schema: contactSchema },
    },
    handler: async ({ auth, params, query }) =>
      contactWork(async () => {
        const connection = await connectionFor(auth.accountId, query.connectionId, 'query.connectionId');
        const db = await services.db();
        if (!(await deleteContact(db, connection, params.crmContactId, services.now()))) {
          const contact = await existing(connection, params.crmContactId);
          return { status: 202, body: contact };
        }
        await tellWorkflow(connection, params.crmContactId);
        return { status: 202, body: await existing(connection, params.crmContactId) };
      }),
  });

  routes.add({
    method: 'get',
    path: '/v1/contacts/{crmContactId}',
    tag: 'Contacts',
    summary: 'A contact with QuickBooks’ changes merged in, its link and its sync state',
    params: contactParams,
    query: connectionQuery,
    problems: [...connectionProblems],
    responses: { 200: { description: 'The contact.', schema: contactSchema } },
    handler: async ({ auth, params, query }) =>
      contactWork(async () => {
        const connection = await connectionFor(auth.accountId, query.connectionId, 'query.connectionId');
        return { status: 200, body: await existing(connection, params.crmContactId) };
      }),
  });

  routes.add({
    method: 'get',
    path: '/v1/contacts/{crmContactId}/lineage',
    tag: 'Contacts',
    summary: 'Where each synced field’s value came from: which side, when, which change, by what rule',
    params: contactParams,
    query: connectionQuery,
    problems: [...connectionProblems],
    responses: { 200: { description: 'One entry per synced field.', schema: lineageSchema } },
    handler: async ({ auth, params, query }) =>
      contactWork(async () => {
        const connection = await connectionFor(auth.accountId, query.connectionId, 'query.connectionId');
        const db = await services.db();
        const contact = await readContactRecord(db, contactKey(connection._id, params.crmContactId));
        if (!contact) throw notFound('contact', params.crmContactId);
        return {
          status: 200,
          body: {
            crmContactId: contact.crmContactId,
            connectionId: connection._id,
            fields: await loadContactLineage(db, contact),
          },
        };
      }),
  });

  routes.add({
    method: 'get',
    path: '/v1/contacts',
    tag: 'Contacts',
    summary: 'Feed of QuickBooks-side customer changes since a time',
    description:
      'Every customer changed in QuickBooks after `changedSince`, oldest first, linked or not. After a backfill ' +
      'this is the initial load; afterwards it is the backstop for missed webhooks.',
    query: z
      .object({
        changedSince: isoTime.describe(
          'Only changes after this ISO 8601 time; `1970-01-01T00:00:00Z` reads every customer.',
        ),
        connectionId: connectionIdQuery,
        ...pageQuery,
      })
      .strict(),
    problems: ['invalid_cursor'],
    responses: {
      200: { description: 'A page of changes.', schema: pageOf(feedItemSchema, 'ContactFeedPage') },
    },
    handler: async ({ auth, query }) => {
      const db = await services.db();
      const connections = await connectionModel(db)
        .find({ accountId: auth.accountId, ...(query.connectionId ? { _id: query.connectionId } : {}) })
        .lean();
      if (query.connectionId && connections.length === 0) throw notFound('connection', query.connectionId);
      const items = await contactFeed(
        db,
        connections,
        new Date(query.changedSince),
        decodeCursor(query.cursor),
        query.limit + 1,
      );
      const page = toPage(items, query.limit, (item) => item.position);
      return {
        status: 200,
        body: {
          data: page.data.map(({ position: _position, ...item }) => item),
          nextCursor: page.nextCursor,
        },
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/v1/contacts/{crmContactId}/quickbooks',
    tag: 'Contacts',
    summary: 'The contact’s QuickBooks section: customer link, billing summary, transactions folder',
    params: contactParams,
    query: connectionQuery,
    problems: [...connectionProblems],
    responses: { 200: { description: 'The section.', schema: contactSectionSchema } },
    handler: async ({ auth, params, query }) =>
      contactWork(async () => {
        const connection = await connectionFor(auth.accountId, query.connectionId, 'query.connectionId');
        const section = await loadContactSection(await services.db(), {
          connectionId: connection._id,
          crmContactId: params.crmContactId,
          today: companyToday(services.now(), connection),
        });
        if (!section) throw notFound('linked contact', params.crmContactId);
        return { status: 200, body: section };
      }),
  });

  routes.add({
    method: 'get',
    path: '/v1/contacts/{crmContactId}/quickbooks/transactions',
    tag: 'Contacts',
    summary: 'The contact’s QuickBooks transactions, newest first, filtered and paginated',
    params: contactParams,
    query: z
      .object({
        connectionId: connectionIdQuery,
        type: transactionTypeSchema.optional(),
        status: liveTransactionStatusSchema
          .optional()
          .describe('As of today: an unpaid invoice past due is overdue.'),
        limit: z.coerce.number().int().min(1).max(maxTransactionPageSize).default(50),
        cursor: pageQuery.cursor,
      })
      .strict(),
    problems: [...connectionProblems, 'invalid_cursor'],
    responses: {
      200: {
        description: 'A page of transactions.',
        schema: transactionPageSchema.meta({ id: 'TransactionPage' }),
      },
    },
    handler: async ({ auth, params, query }) =>
      contactWork(async () => {
        const connection = await connectionFor(auth.accountId, query.connectionId, 'query.connectionId');
        const db = await services.db();
        const link = await liveContactLink(db, {
          connectionId: connection._id,
          crmContactId: params.crmContactId,
        });
        if (!link) throw notFound('linked contact', params.crmContactId);
        try {
          const page = await listContactTransactions(db, {
            connectionId: connection._id,
            qboCustomerId: link.qboCustomerId,
            today: companyToday(services.now(), connection),
            ...(query.type ? { type: query.type } : {}),
            ...(query.status ? { status: query.status } : {}),
            limit: query.limit,
            ...(query.cursor ? { cursor: query.cursor } : {}),
          });
          return { status: 200, body: page };
        } catch (error) {
          if (error instanceof InvalidCursorError)
            throw new ApiProblem(
              400,
              'invalid_cursor',
              'cursor is not one this API returned',
              'query.cursor',
            );
          throw error;
        }
      }),
  });

  routes.add({
    method: 'post',
    path: '/v1/contacts/{crmContactId}/quickbooks/embed-token',
    tag: 'Contacts',
    summary: 'Mint a short-lived link to the embeddable QuickBooks panel of a contact',
    description:
      'Put `url` in an iframe. The token in it is signed, bound to this account, connection and contact, and ' +
      'expires after `ttlSeconds` (at most an hour). The URL is absolute, on the API’s public origin (that of ' +
      '`QBO_REDIRECT_URI`).',
    params: contactParams,
    query: connectionQuery,
    body: z
      .object({ ttlSeconds: z.number().int().min(1).max(maxEmbedTokenTtlSeconds).default(900) })
      .strict(),
    problems: [...connectionProblems],
    responses: {
      201: {
        description: 'The panel URL.',
        schema: z
          .object({
            url: z.url().describe('The panel, absolute: put it in an iframe.'),
            token: z.string(),
            expiresAt: isoTime,
          })
          .meta({ id: 'EmbedToken' }),
      },
    },
    handler: async ({ auth, params, query, body }) =>
      contactWork(async () => {
        const connection = await connectionFor(auth.accountId, query.connectionId, 'query.connectionId');
        await existing(connection, params.crmContactId);
        const minted = mintEmbedToken(
          {
            accountId: auth.accountId,
            connectionId: connection._id,
            crmContactId: params.crmContactId,
            ttlSeconds: body.ttlSeconds,
          },
          services.embedSecret,
          services.now().getTime(),
        );
        return {
          status: 201,
          body: {
            url: new URL(
              embedPanelPath(params.crmContactId, minted.token),
              services.qbo.oauth.redirectUri,
            ).toString(),
            token: minted.token,
            expiresAt: minted.expiresAt.toISOString(),
          },
        };
      }),
  });
}

/** How many connections a `connection_required` answer lists; more are for `GET /v1/connections`. */
const listedConnections = 20;

/** The answer to "which connection?": the account's live ones, so the caller can pick without another request. */
async function choicesOfConnection(db: MongoConnection, accountId: string): Promise<string> {
  const live = await connectionModel(db)
    .find({ accountId, status: { $ne: 'disconnected' } }, { companyName: 1, realmId: 1 })
    .sort({ _id: 1 })
    .limit(listedConnections + 1)
    .lean();
  const named = live
    .slice(0, listedConnections)
    .map((connection) => `${connection._id} (${connection.companyName ?? `realm ${connection.realmId}`})`);
  const more = live.length > listedConnections ? '; more with GET /v1/connections' : '';
  return `this account has several QuickBooks companies: name one with connectionId, one of ${named.join(', ')}${more}`;
}
