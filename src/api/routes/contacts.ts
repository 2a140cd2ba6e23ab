import type { Connection as MongoConnection } from 'mongoose';
import { z } from 'zod';
import {
  assertWritable,
  contactFeed,
  ContactProblem,
  deleteContact,
  readContact,
  resolveConnection,
  storeContact,
  storeContacts,
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
import { currentContactAr } from '../../followups/contact-ar';
import { contactTagNames } from '../../sync/tags';
import { loadFields } from '../../db/field-maps';
import { toSyncFields } from '../../sync/fields';
import { companyToday } from '../../time/company-zone';
import { decodeCursor, pageOf, pageQuery, toPage } from '../http/cursor';
import { ApiProblem, invalidFields, notFound, problemSchema, validationProblem } from '../http/problem';
import type { ApiRoutes } from '../http/route';
import type { ApiServices } from '../services';
import {
  connectionIdQuery,
  contactFieldsSchema,
  customFieldValuesSchema,
  fieldNameSchema,
  isoTime,
} from './schemas';
import { connectionsOfFeed } from './owned';
import { tellContactsChanged } from './contacts-changed';

const contactSchema = z
  .object({
    crmContactId: z.string(),
    connectionId: z.string(),
    updatedAt: z.string(),
    fields: contactFieldsSchema,
    customFields: customFieldValuesSchema,
    deleted: z.boolean(),
    quickbooks: z
      .object({
        customerId: z.string(),
        linkedBy: z.enum(linkMethods),
        syncedAt: z.string().nullable(),
        link: z.string().describe('Opens the customer in the QuickBooks web app.'),
        deactivatedAt: z
          .string()
          .nullable()
          .describe(
            'When undoing its creation made the customer inactive: the contact stays linked to it, so no sync ' +
              'creates it again, and is not synced until that undo is undone.',
          ),
      })
      .nullable(),
    sync: z.object({
      state: z.enum(['pending', 'synced', 'rejected', 'deleted']),
      waitingFor: z
        .enum(['connection_paused', 'preview'])
        .nullable()
        .describe(
          'Why a `pending` contact is not being written yet: its connection is paused (it is written on resume), ' +
            'or was connected “preview first” and awaits its preview. Null otherwise.',
        ),
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

const arFiguresSchema = z
  .object({
    asOf: z.iso.date().describe('The company’s today, which “overdue” is judged against.'),
    currency: z.string().describe('The customer’s currency; the balances are in it.'),
    openBalance: z.number(),
    overdueBalance: z.number(),
    home: z
      .object({ currency: z.string(), openBalance: z.number(), overdueBalance: z.number() })
      .nullable()
      .describe('The balances in the home currency; null when a home amount is unknown.'),
    oldestOverdueDays: z.number().int().nullable(),
    averageDaysToPay: z
      .number()
      .nullable()
      .describe('Over paid invoices whose settling payment is known: days from invoice date to payment.'),
    onTimePaymentRatio: z
      .number()
      .nullable()
      .describe('Share of those invoices paid on or before their due date (0–1).'),
    paidInvoicesMeasured: z.number().int().describe('How many invoices the two figures above are based on.'),
  })
  .meta({ id: 'ContactAr' });

const contactDetailSchema = contactSchema
  .extend({
    tags: z
      .array(z.enum(contactTagNames))
      .describe('As in `contact.updated` webhooks; empty while the contact has no QuickBooks customer.'),
    ar: arFiguresSchema
      .nullable()
      .describe('The customer’s accounts-receivable figures now; null while it has no QuickBooks customer.'),
  })
  .meta({ id: 'ContactDetail' });

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

const crmContactIdSchema = z.string().min(1).max(200);
const contactParams = z.object({ crmContactId: crmContactIdSchema }).strict();

/** A contact as the CRM sends it: to `PUT /v1/contacts/{crmContactId}`, and with its id in a batch. */
const contactVersionSchema = z
  .object({
    updatedAt: isoTime.describe('When the CRM last changed the contact.'),
    fields: contactFieldsSchema,
    customFields: customFieldValuesSchema.optional(),
    qboCustomerId: z.string().max(50).optional(),
  })
  .strict();

export const batchContactSchema = contactVersionSchema
  .extend({ crmContactId: crmContactIdSchema })
  .meta({ id: 'BatchContact' });

export const maxBatchContacts = 1000;

const batchOutcomeSchema = z
  .object({
    crmContactId: z.string().nullable().describe('Null when the item has no usable `crmContactId`.'),
    status: z
      .number()
      .int()
      .describe('202: stored, and queued for QuickBooks. Otherwise the status of `problem`.'),
    problem: problemSchema
      .optional()
      .describe('Why the contact was refused; `field` names it as `body.contacts.<index>.<field>`.'),
  })
  .meta({ id: 'BatchContactOutcome' });
const lineageSchema = z
  .object({
    crmContactId: z.string(),
    connectionId: z.string(),
    fields: z.array(
      z.object({
        field: fieldNameSchema,
        crmKey: z
          .string()
          .nullable()
          .describe(
            'A custom field’s CRM key (its value is `customFields.<crmKey>` on the contact); null otherwise.',
          ),
        value: z
          .string()
          .nullable()
          .describe(
            'The value the CRM reads, QuickBooks’ changes merged in; a custom field’s as the merge compares it ' +
              '(a number as text).',
          ),
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

const connectionQuery = z.object({ connectionId: connectionIdQuery }).strict();

const contactProblems: Record<ContactProblem['code'], number> = {
  no_connection: 409,
  connection_required: 400,
  connection_inactive: 409,
  stale_contact: 409,
  customer_not_found: 422,
  customer_already_linked: 409,
  invalid_custom_field: 422,
};

/** Naming the connection, or leaving it out, can fail on every contact route. */
const connectionProblems = ['connection_required', 'no_connection'] as const;

export function addContactRoutes(routes: ApiRoutes, services: ApiServices): void {
  /** Runs contact work, turning the service's refusals into problems. */
  async function contactWork<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ContactProblem) throw contactProblem(error);
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

  /** A connection waiting for its preview keeps the contacts stored until the preview is applied. */
  const tellWorkflow = async (connection: ConnectionRecord, crmContactIds: readonly string[]) => {
    if (!connection.awaitingPreview) await tellContactsChanged(services, connection, crmContactIds);
  };

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
    body: contactVersionSchema,
    problems: [
      ...connectionProblems,
      'connection_inactive',
      'stale_contact',
      'customer_not_found',
      'customer_already_linked',
      'invalid_custom_field',
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
            ...(body.customFields ? { customFields: body.customFields } : {}),
            ...(body.qboCustomerId ? { qboCustomerId: body.qboCustomerId } : {}),
          },
          services.now(),
          services.retention,
        );
        await tellWorkflow(connection, [params.crmContactId]);
        return { status: 202, body: await existing(connection, params.crmContactId) };
      }),
  });

  routes.add({
    method: 'post',
    path: '/v1/contacts/batch',
    tag: 'Contacts',
    summary: `Create or replace up to ${maxBatchContacts} contacts, each with its own outcome`,
    description:
      'Each contact is what `PUT /v1/contacts/{crmContactId}` takes, plus its `crmContactId`, and is stored the ' +
      'same way. The answer has one outcome per contact, in the order sent: 202 when stored and queued for ' +
      'QuickBooks, otherwise its problem (`validation_failed`, `stale_contact`, `customer_not_found`, ' +
      '`customer_already_linked`) naming the field as `body.contacts.<index>.<field>`; a refused contact does not ' +
      'hold back the others. Each contact may appear once. Sending a batch again is safe (a version already ' +
      'stored is accepted again and changes nothing), and an `Idempotency-Key` replays the first answer.',
    query: connectionQuery,
    body: z
      .object({
        contacts: z
          .array(
            z.union([
              batchContactSchema,
              z
                .looseObject({})
                .describe('A contact that does not match BatchContact: refused in its own outcome.'),
            ]),
          )
          .min(1)
          .max(maxBatchContacts, `at most ${maxBatchContacts} contacts per request: split the batch`),
      })
      .strict(),
    // A thousand contacts with long notes and two addresses each.
    bodyLimit: '4mb',
    idempotent: true,
    problems: [...connectionProblems, 'connection_inactive', 'sync_unavailable'],
    responses: {
      200: {
        description: 'One outcome per contact, in the order sent.',
        schema: z
          .object({
            accepted: z.number().int().describe('Contacts stored and queued for QuickBooks.'),
            refused: z.number().int(),
            results: z.array(batchOutcomeSchema),
          })
          .meta({ id: 'BatchContactResult' }),
      },
    },
    handler: async ({ auth, query, body }) =>
      contactWork(async () => {
        const connection = await connectionFor(auth.accountId, query.connectionId, 'query.connectionId');
        assertWritable(connection);
        const checked = checkBatch(body.contacts);
        const versions = checked.filter((item): item is BatchContact => !(item instanceof ApiProblem));
        const stored = await storeContacts(
          await services.db(),
          connection,
          versions.map(({ fields, ...version }) => ({
            ...version,
            fields: toSyncFields(loadFields(fields)),
          })),
          services.now(),
          services.retention,
        );
        const storedAs = new Map(versions.map((version, position) => [version, stored[position]!]));
        const outcomes = checked.map((item, index): BatchOutcome => {
          if (item instanceof ApiProblem)
            return { crmContactId: sentId(body.contacts[index]), refusal: item };
          const outcome = storedAs.get(item)!;
          return {
            crmContactId: item.crmContactId,
            ...(outcome instanceof ContactProblem && {
              refusal: contactProblem(outcome, `body.contacts.${index}`),
            }),
          };
        });
        const accepted = outcomes.flatMap((outcome) => (outcome.refusal ? [] : [outcome.crmContactId]));
        await tellWorkflow(connection, accepted);
        return {
          status: 200,
          body: {
            accepted: accepted.length,
            refused: outcomes.length - accepted.length,
            results: outcomes.map(({ crmContactId, refusal }) => ({
              crmContactId,
              status: refusal?.status ?? 202,
              ...(refusal && { problem: refusal.toJSON() }),
            })),
          },
        };
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
        await tellWorkflow(connection, [params.crmContactId]);
        return { status: 202, body: await existing(connection, params.crmContactId) };
      }),
  });

  routes.add({
    method: 'get',
    path: '/v1/contacts/{crmContactId}',
    tag: 'Contacts',
    summary:
      'A contact with QuickBooks’ changes merged in, its link, its sync state, its tags and AR figures',
    description:
      'Tags and figures are computed from the customer’s QuickBooks transactions when asked, as of the company’s ' +
      'today: the values the next `contact.updated` webhook carries when its tags change.',
    params: contactParams,
    query: connectionQuery,
    problems: [...connectionProblems],
    responses: { 200: { description: 'The contact.', schema: contactDetailSchema } },
    handler: async ({ auth, params, query }) =>
      contactWork(async () => {
        const connection = await connectionFor(auth.accountId, query.connectionId, 'query.connectionId');
        const contact = await existing(connection, params.crmContactId);
        const today = companyToday(services.now(), connection);
        const ar =
          contact.quickbooks &&
          (await currentContactAr(await services.db(), connection, contact.quickbooks.customerId, today));
        return {
          status: 200,
          body: { ...contact, tags: ar?.tags ?? [], ar: ar ? { asOf: today, ...ar.figures } : null },
        };
      }),
  });

  routes.add({
    method: 'get',
    path: '/v1/contacts/{crmContactId}/lineage',
    tag: 'Contacts',
    summary: 'Where each synced field’s value came from: which side, when, which change, by what rule',
    description:
      'One entry per fixed field, then one per custom field the connection maps (the fields the contact shows in ' +
      '`fields` and `customFields`), named `custom.<definitionId>` with its `crmKey`.',
    params: contactParams,
    query: connectionQuery,
    problems: [...connectionProblems],
    responses: {
      200: { description: 'One entry per synced field and mapped custom field.', schema: lineageSchema },
    },
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
            fields: await loadContactLineage(db, contact, connection),
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
      const connections = await connectionsOfFeed(services, auth.accountId, query.connectionId);
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

/** A refusal of the contact service as a problem; `body` is where the contact is in the request. */
function contactProblem(error: ContactProblem, body = 'body'): ApiProblem {
  return new ApiProblem(
    contactProblems[error.code],
    error.code,
    error.choices
      ? `${error.message}: ${error.choices.map((choice) => `${choice.id} (${choice.companyName ?? 'unnamed'})`).join(', ')}`
      : error.message,
    error.field?.replace(/^body(?=\.|$)/, body),
  );
}

type BatchContact = z.infer<typeof batchContactSchema>;
type BatchOutcome =
  { crmContactId: string; refusal?: undefined } | { crmContactId: string | null; refusal: ApiProblem };

/** Each contact of a batch, checked on its own: the contact to store, or the problem that refuses it. */
function checkBatch(items: readonly unknown[]): (BatchContact | ApiProblem)[] {
  const firstAt = new Map<string, number>();
  return items.map((item, index) => {
    const at = `body.contacts.${index}`;
    const parsed = batchContactSchema.safeParse(item);
    if (!parsed.success)
      return validationProblem(at, parsed.error, { value: item, schema: batchContactSchema });
    const earlier = firstAt.get(parsed.data.crmContactId);
    // Two versions of one contact in a batch would race each other; the CRM means the later one.
    if (earlier !== undefined)
      return invalidFields([
        {
          field: `${at}.crmContactId`,
          message: `is also at body.contacts.${earlier}: send one version of each contact`,
        },
      ]);
    firstAt.set(parsed.data.crmContactId, index);
    return parsed.data;
  });
}

/** The id a refused batch item was sent with, if it has a usable one. */
function sentId(item: unknown): string | null {
  const id = (item as { crmContactId?: unknown }).crmContactId;
  return crmContactIdSchema.safeParse(id).success ? (id as string) : null;
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
