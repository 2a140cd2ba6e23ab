import { z } from 'zod';
import {
  ConnectFlowError,
  ConnectionService,
  PauseError,
  type PauseOutcome,
} from '../../connections/service';
import { ReturnUrlRefused } from '../../security/return-url';
import { contactModel } from '../../contacts/model';
import {
  backfillState,
  connectionModel,
  missingProductPolicies,
  pauseView,
  settingsOf,
  tokenHealth,
  type ConnectionRecord,
  type TokenHealth,
} from '../../db/models/connection';
import { itemKey, qboCustomerModel, qboItemModel, qboTransactionModel } from '../../projections/models';
import { queryConnectionStatus } from '../../temporal/connection-workflows';
import { companyTimeZone, timeZoneBases } from '../../time/company-zone';
import type { ConnectionWorkflowStatus } from '../../workflows/connection-messages';
import { pageOf, pageQuery, toPage, decodeCursor } from '../http/cursor';
import { ApiProblem, invalidFields, notFound, problemCodes } from '../http/problem';
import type { ApiRoutes } from '../http/route';
import type { ApiServices } from '../services';
import { ownedConnection } from './owned';
import {
  conflictPolicySchema,
  customFieldMappingSchema,
  mappingPolicySchema,
  transactionHistorySchema,
} from './schemas';
import { countMatching } from '../../db/count';

const connectionSchema = z
  .object({
    id: z.string(),
    realmId: z.string(),
    companyName: z.string().nullable(),
    environment: z.enum(['sandbox', 'production']),
    status: z.enum(['active', 'needs_reauth', 'disconnected']),
    statusReason: z.string().nullable(),
    homeCurrency: z.string().nullable(),
    multiCurrency: z.boolean(),
    timeZone: z
      .object({
        name: z.string().describe('An IANA zone, such as America/New_York'),
        basis: z
          .enum(timeZoneBases)
          .describe(
            'What it was inferred from at connect: the company address’s `city`, its state or province ' +
              '(`region`), its `country`, or nothing (`default`: Pacific time)',
          ),
      })
      .describe(
        'The company’s time zone: "today" for overdue invoices, expired estimates and follow-ups is its calendar ' +
          'date. QuickBooks exposes no zone; it is inferred from CompanyInfo’s address at each connect.',
      ),
    settings: z.object({
      pollIntervalSeconds: z.number().int(),
      activePollIntervalSeconds: z.number().int(),
      mappingPolicy: mappingPolicySchema,
      conflictPolicy: conflictPolicySchema,
      customFields: customFieldMappingSchema,
      skewToleranceSeconds: z.number(),
      missingProductPolicy: z.enum(missingProductPolicies),
      defaultItemId: z.string().nullable(),
      highValueThreshold: z
        .number()
        .nullable()
        .describe(
          'Home-currency lifetime sales from which a contact is tagged `qb:high-value`; null: never.',
        ),
      transactionHistory: transactionHistorySchema,
    }),
    backfill: z
      .object({
        status: z
          .enum(['running', 'waiting_for_reconnect', 'stopped', 'done'])
          .describe(
            '`waiting_for_reconnect`: QuickBooks’ grant ended during it (the connection is `needs_reauth`); a ' +
              'reconnect resumes it where it stopped. `stopped`: the connection was disconnected before it ended.',
          ),
        startedAt: z.string(),
        finishedAt: z.string().nullable(),
        counts: z.record(z.string(), z.number()),
        entity: z.string().nullable(),
        transactionsSince: z
          .string()
          .nullable()
          .describe(
            'The first transaction date this backfill reads (its history window); null: all of them.',
          ),
      })
      .nullable(),
    lastPolledAt: z.string().nullable(),
    awaitingPreview: z
      .boolean()
      .describe(
        'Connected “preview first”: contacts are stored but wait until a preview of them is applied.',
      ),
    lastWebhookAt: z.string().nullable(),
    paused: z
      .object({ since: z.string(), note: z.string() })
      .nullable()
      .describe(
        'Paused (`POST /v1/connections/{id}/pause`): nothing is read from or written to QuickBooks and nothing is ' +
          'applied either way; contacts and Intuit’s webhooks are stored and wait, and reminders are held. ' +
          'Orthogonal to `status`. Null while syncing.',
      ),
    tokens: z
      .object({ accessExpiresAt: z.string(), refreshExpiresAt: z.string(), lastRefreshedAt: z.string() })
      .nullable()
      .describe(
        'Token health: when the access and refresh tokens expire, and when they were last refreshed.',
      ),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Connection' });

const connectionDetailSchema = connectionSchema
  .extend({
    counts: z.object({ customers: z.number(), linkedContacts: z.number(), transactions: z.number() }),
    workflow: z
      .object({
        state: z.enum(['backfilling', 'syncing', 'needs_reauth', 'disconnected']),
        lastPollAt: z.string().nullable(),
        lastError: z.string().nullable(),
        totals: z.record(z.string(), z.number()),
        pollEverySeconds: z
          .number()
          .nullable()
          .describe('The poll interval in force: the active one while the company has changed lately.'),
        pushesInFlight: z.number().int().describe('Contacts being written to QBO now.'),
        contactsWaiting: z
          .number()
          .int()
          .describe('Changed contacts waiting for a slot (all of them while paused).'),
        pullsInFlight: z
          .number()
          .int()
          .describe('QuickBooks customers being merged into their contacts now.'),
        customersWaiting: z
          .number()
          .int()
          .describe('Changed QuickBooks customers waiting for a slot to be merged into their contacts.'),
        webhooksWaiting: z
          .boolean()
          .describe('Intuit’s webhooks wait in the inbox to be applied (until the resume, while paused).'),
        paused: z.boolean().describe('The workflow holds a pause: it starts nothing until resumed.'),
      })
      .nullable()
      .describe('The live workflow, when it answers within the time limit.'),
  })
  .meta({ id: 'ConnectionDetail' });

type ConnectionJson = z.infer<typeof connectionSchema>;
type WorkflowJson = z.infer<typeof connectionDetailSchema>['workflow'];

/** The workflow's view as the API shows it; runs begun before the QBO → CRM lane count no pulls. */
function workflowJson(workflow: ConnectionWorkflowStatus | null): WorkflowJson {
  return workflow
    ? {
        state: workflow.state,
        lastPollAt: workflow.lastPollAt ?? null,
        lastError: workflow.lastError ?? null,
        totals: workflow.totals,
        pollEverySeconds: workflow.pollEverySeconds ?? null,
        pushesInFlight: workflow.pushesInFlight ?? 0,
        contactsWaiting: workflow.contactsWaiting ?? 0,
        pullsInFlight: workflow.pullsInFlight ?? 0,
        customersWaiting: workflow.customersWaiting ?? 0,
        webhooksWaiting: workflow.webhooksWaiting ?? false,
        paused: workflow.paused ?? false,
      }
    : null;
}

function connectionJson(connection: ConnectionRecord, tokens: TokenHealth | null): ConnectionJson {
  const iso = (date: Date | undefined): string | null => date?.toISOString() ?? null;
  return {
    id: connection._id,
    realmId: connection.realmId,
    companyName: connection.companyName ?? null,
    environment: connection.environment,
    status: connection.status,
    statusReason: connection.statusReason ?? null,
    homeCurrency: connection.homeCurrency ?? null,
    multiCurrency: connection.multiCurrency ?? false,
    timeZone: companyTimeZone(connection),
    settings: settingsOf(connection),
    backfill: connection.backfill
      ? {
          status: backfillState(connection.backfill, connection.status),
          startedAt: connection.backfill.startedAt.toISOString(),
          finishedAt: iso(connection.backfill.finishedAt),
          counts: connection.backfill.counts,
          entity: connection.backfill.entity ?? null,
          transactionsSince: connection.backfill.transactionsSince ?? null,
        }
      : null,
    lastPolledAt: iso(connection.lastPolledAt),
    awaitingPreview: connection.awaitingPreview ?? false,
    lastWebhookAt: iso(connection.lastWebhookAt),
    paused: pauseView(connection),
    tokens: tokens
      ? {
          accessExpiresAt: tokens.accessExpiresAt.toISOString(),
          refreshExpiresAt: tokens.refreshExpiresAt.toISOString(),
          lastRefreshedAt: tokens.refreshedAt.toISOString(),
        }
      : null,
    createdAt: connection.createdAt.toISOString(),
    updatedAt: connection.updatedAt.toISOString(),
  };
}

const idParams = z.object({ id: z.string().max(100) }).strict();

const urlSafe = z.string().regex(/^[\w.~-]*$/, 'has characters Intuit never sends');

const connectProblems: Record<ConnectFlowError['code'], number> = {
  invalid_state: 400,
  state_expired: 400,
  state_used: 409,
  authorization_denied: 400,
  invalid_code: 400,
  token_exchange_failed: 502,
};

const pauseProblems: Record<PauseError['code'], number> = {
  connection_inactive: problemCodes.connection_inactive,
  backfill_running: problemCodes.backfill_running,
  sync_unavailable: problemCodes.sync_unavailable,
};

/** The connect flow and settings, as the API's services reach them. */
export async function connectionServiceFor(services: ApiServices): Promise<ConnectionService> {
  return new ConnectionService({
    db: await services.db(),
    temporal: services.temporal,
    qbo: services.qbo,
    stateSecret: services.stateSecret,
    taskQueue: services.taskQueue,
    now: services.now,
  });
}

export function addConnectionRoutes(routes: ApiRoutes, services: ApiServices): void {
  const service = () => connectionServiceFor(services);
  const owned = (accountId: string, id: string): Promise<ConnectionRecord> =>
    ownedConnection(services, accountId, id);
  const view = async (connection: ConnectionRecord): Promise<ConnectionJson> =>
    connectionJson(connection, await tokenHealth(await services.db(), connection._id));

  routes.add({
    method: 'post',
    path: '/v1/connections/quickbooks',
    tag: 'Connections',
    summary: 'Start connecting a QuickBooks company',
    description:
      'Returns the URL of Intuit’s consent page. Send the user there; Intuit redirects back to the callback, ' +
      'which stores the connection and starts syncing. The `state` is signed, single-use and expires in 15 minutes.',
    idempotent: true,
    body: z
      .object({
        backfill: z.boolean().default(true).describe('Read all existing customers and transactions first.'),
        previewFirst: z
          .boolean()
          .default(false)
          .describe(
            'Write no contact to QuickBooks until a preview of them is applied: contacts sent meanwhile are stored ' +
              'and wait (`POST /v1/connections/{id}/previews` with `"source": "stored"`, then apply it).',
          ),
        transactionHistory: transactionHistorySchema
          .optional()
          .describe(
            'How far back the backfill reads transactions: `"all"` (the default) or `{ "months": N }`; ' +
              'a setting of the connection, changed later with `PATCH /v1/connections/{id}`.',
          ),
        returnUrl: z
          .url()
          .max(2000)
          .optional()
          .describe(
            'Where the callback sends the user when done: on the API’s own origin or one the account registered ' +
              '(`PATCH /v1/account`, `allowedReturnOrigins`).',
          ),
      })
      .strict(),
    responses: {
      201: {
        description: 'Send the user to `authorizeUrl`.',
        schema: z
          .object({ authorizeUrl: z.string(), state: z.string(), expiresAt: z.string() })
          .meta({ id: 'ConnectStart' }),
      },
    },
    handler: async ({ auth, body }) => {
      try {
        return {
          status: 201,
          body: await (
            await service()
          ).beginConnect(auth.accountId, {
            backfill: body.backfill,
            previewFirst: body.previewFirst,
            ...(body.transactionHistory ? { transactionHistory: body.transactionHistory } : {}),
            ...(body.returnUrl ? { returnUrl: body.returnUrl } : {}),
          }),
        };
      } catch (error) {
        if (error instanceof ReturnUrlRefused)
          throw invalidFields([{ field: 'body.returnUrl', message: error.message }]);
        throw error;
      }
    },
  });

  routes.add({
    method: 'get',
    path: '/v1/oauth/quickbooks/callback',
    tag: 'Connections',
    summary: 'Intuit’s OAuth redirect (not called by the CRM)',
    auth: 'none',
    query: z
      .object({
        // Intuit's values and our signed state are URL-safe ASCII; so bounded, the callback URL stays well under
        // the server's 16 kB request-line limit, which would otherwise answer 431 before any route runs.
        code: urlSafe.max(2000).optional(),
        state: urlSafe.max(4000),
        realmId: urlSafe.max(50).optional(),
        error: urlSafe.max(200).optional(),
      })
      // Intuit may add parameters of its own; the signed state is what authenticates this request.
      .loose(),
    problems: [
      'invalid_state',
      'state_expired',
      'authorization_denied',
      'invalid_code',
      'state_used',
      'token_exchange_failed',
    ],
    responses: {
      200: { description: 'The connection, when no returnUrl was given.', schema: connectionSchema },
      303: { description: 'Back to the returnUrl, with `connectionId` added.', redirect: true },
    },
    handler: async ({ req, query }) => {
      if (!query.error) {
        const missing = (['code', 'realmId'] as const).filter((name) => !query[name]);
        if (missing.length > 0)
          throw new ApiProblem(
            400,
            'validation_failed',
            missing.map((name) => `query.${name}: is required unless \`error\` is given`).join('; '),
            `query.${missing[0]}`,
            missing.map((name) => ({
              field: `query.${name}`,
              message: 'is required unless `error` is given',
            })),
          );
      }
      const callbackUrl = new URL(req.originalUrl, services.qbo.oauth.redirectUri).toString();
      try {
        const { connection, reconnecting, returnUrl } = await (await service()).completeConnect(callbackUrl);
        services.log.info(
          {
            connectionId: connection._id,
            realmId: connection.realmId,
            accountId: connection.accountId,
            companyName: connection.companyName,
          },
          reconnecting ? 'QuickBooks company reconnected' : 'QuickBooks company connected',
        );
        if (returnUrl) {
          const back = new URL(returnUrl);
          back.searchParams.set('connectionId', connection._id);
          return { status: 303, redirect: back.toString() };
        }
        return { status: 200, body: await view(connection) };
      } catch (error) {
        if (error instanceof ConnectFlowError)
          throw new ApiProblem(
            connectProblems[error.code],
            error.code,
            error.message,
            error.code === 'invalid_code' ? 'query.code' : 'query.state',
          );
        throw error;
      }
    },
  });

  routes.add({
    method: 'get',
    path: '/v1/connections',
    tag: 'Connections',
    summary: 'List the account’s connections',
    query: z.object(pageQuery).strict(),
    problems: ['invalid_cursor'],
    responses: {
      200: { description: 'A page of connections.', schema: pageOf(connectionSchema, 'ConnectionPage') },
    },
    handler: async ({ auth, query }) => {
      const after = decodeCursor(query.cursor);
      const found = await connectionModel(await services.db())
        .find({ accountId: auth.accountId, ...(after ? { _id: { $gt: after.id } } : {}) })
        .sort({ _id: 1 })
        .limit(query.limit + 1)
        .lean();
      const page = toPage(found, query.limit, (connection) => ({ at: '', id: connection._id }));
      return {
        status: 200,
        body: { data: await Promise.all(page.data.map(view)), nextCursor: page.nextCursor },
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/v1/connections/{id}',
    tag: 'Connections',
    summary: 'A connection: status, company, backfill progress, counts, last error',
    params: idParams,
    responses: { 200: { description: 'The connection.', schema: connectionDetailSchema } },
    handler: async ({ auth, params }) => {
      const connection = await owned(auth.accountId, params.id);
      const db = await services.db();
      const [customers, linkedContacts, transactions, workflow] = await Promise.all([
        countMatching(qboCustomerModel(db), { connectionId: connection._id }),
        countMatching(contactModel(db), {
          connectionId: connection._id,
          state: { $ne: 'deleted' },
          linkKey: { $exists: true },
        }),
        countMatching(qboTransactionModel(db), { connectionId: connection._id }),
        workflowStatus(services, connection._id),
      ]);
      return {
        status: 200,
        body: {
          ...(await view(connection)),
          counts: { customers, linkedContacts, transactions },
          workflow: workflowJson(workflow),
        },
      };
    },
  });

  routes.add({
    method: 'patch',
    path: '/v1/connections/{id}',
    tag: 'Connections',
    summary: 'Change a connection’s settings',
    params: idParams,
    body: z
      .object({
        pollIntervalSeconds: z
          .number()
          .int()
          .min(10)
          .max(3600)
          .optional()
          .describe('Seconds between CDC polls while the company is idle; default 60.'),
        activePollIntervalSeconds: z
          .number()
          .int()
          .min(5)
          .max(3600)
          .optional()
          .describe('Seconds between CDC polls while it changed in the last five minutes; default 10.'),
        mappingPolicy: mappingPolicySchema.optional(),
        conflictPolicy: conflictPolicySchema.optional(),
        customFields: customFieldMappingSchema.optional(),
        skewToleranceSeconds: z
          .number()
          .min(0)
          .max(3600)
          .optional()
          .describe('Changes this close in time are simultaneous, and QBO wins them; default 5.'),
        missingProductPolicy: z
          .enum(missingProductPolicies)
          .optional()
          .describe(
            'A document line naming a product QuickBooks does not have: `reject` (422 naming the line; the ' +
              'default), `default_item` (sold as `defaultItemId`, the line keeping the product’s name) or ' +
              '`create_item` (created in QuickBooks as a service).',
          ),
        defaultItemId: z
          .string()
          .max(50)
          .nullable()
          .optional()
          .describe('The QuickBooks item (`qboItemId`) sold for a missing product under `default_item`.'),
        highValueThreshold: z
          .number()
          .positive()
          .max(1e12)
          .multipleOf(0.01)
          .nullable()
          .optional()
          .describe(
            'Home-currency lifetime sales (invoices and sales receipts, less credit memos and refunds) from which ' +
              'a contact is tagged `qb:high-value`; null (the default) gives no such tag.',
          ),
        transactionHistory: transactionHistorySchema
          .optional()
          .describe(
            'How far back a backfill reads transactions: `"all"` (the default) or `{ "months": N }`. It applies ' +
              'to the next backfill (a reconnect’s reconcile, say); transactions already imported stay.',
          ),
      })
      .strict(),
    problems: ['product_not_found', 'custom_field_not_found'],
    responses: { 200: { description: 'The connection with its new settings.', schema: connectionSchema } },
    handler: async ({ auth, params, body }) => {
      const connection = await owned(auth.accountId, params.id);
      const known = connection.customFieldDefinitions?.definitions ?? [];
      const unknown = Object.entries(body.customFields ?? {}).find(
        ([, definitionId]) => !known.some((definition) => definition.id === definitionId),
      );
      if (unknown)
        throw new ApiProblem(
          422,
          'custom_field_not_found',
          `no custom field ${unknown[1]} on this company's customers; pick one from ` +
            `GET /v1/connections/${params.id}/custom-fields (refresh it if it is new)`,
          `body.customFields.${unknown[0]}`,
        );
      if (
        body.defaultItemId &&
        !(await qboItemModel(await services.db()).exists({ _id: itemKey(params.id, body.defaultItemId) }))
      )
        throw new ApiProblem(
          422,
          'product_not_found',
          `no QuickBooks item ${body.defaultItemId} in this company; pick one from GET /v1/products`,
          'body.defaultItemId',
        );
      const updated = await (await service()).updateSettings(auth.accountId, params.id, body);
      if (!updated) throw notFound('connection', params.id);
      return { status: 200, body: await view(updated) };
    },
  });

  routes.add({
    method: 'post',
    path: '/v1/connections/{id}/sync',
    tag: 'Connections',
    summary: 'Sync now: poll QuickBooks for changes without waiting for the timer',
    params: idParams,
    problems: ['connection_inactive', 'connection_paused'],
    responses: { 202: { description: 'The poll is queued.', schema: connectionSchema } },
    handler: async ({ auth, params }) => {
      const connection = await owned(auth.accountId, params.id);
      if (connection.status !== 'active')
        throw new ApiProblem(409, 'connection_inactive', `the connection is ${connection.status}`);
      if (connection.paused)
        throw new ApiProblem(
          409,
          'connection_paused',
          `the connection is paused; POST /v1/connections/${params.id}/resume syncs it, with a poll`,
        );
      await (await service()).syncNow(auth.accountId, params.id);
      return { status: 202, body: await view(connection) };
    },
  });

  const pauseAnswer = async ({ connection, workflow }: PauseOutcome) => ({
    status: 200 as const,
    body: { ...(await view(connection)), workflow: workflowJson(workflow) },
  });
  const pauseWork = async (work: () => Promise<PauseOutcome | null>, id: string) => {
    try {
      const outcome = await work();
      if (!outcome) throw notFound('connection', id);
      return await pauseAnswer(outcome);
    } catch (error) {
      if (error instanceof PauseError)
        throw new ApiProblem(
          pauseProblems[error.code],
          error.code,
          error.message,
          undefined,
          undefined,
          error.code === 'sync_unavailable' ? { 'Retry-After': '5' } : undefined,
        );
      throw error;
    }
  };
  const pausedSchema = connectionSchema
    .extend({ workflow: connectionDetailSchema.shape.workflow })
    .meta({ id: 'ConnectionPauseState' });

  routes.add({
    method: 'post',
    path: '/v1/connections/{id}/pause',
    tag: 'Connections',
    summary: 'Pause the sync: nothing goes to or comes from QuickBooks until resumed; nothing is lost',
    description:
      'The connection’s workflow starts no QuickBooks request and applies no change in either direction; work ' +
      'already running when the pause arrives finishes (`workflow` counts it). Contacts sent meanwhile are stored ' +
      '(their `sync.waitingFor` says `connection_paused`), Intuit’s webhooks are kept in the inbox, and the ' +
      'follow-up reminders are held. The answer comes once the workflow holds the pause. Pausing a paused ' +
      'connection changes nothing (its `paused.since` and note stay). Refused while the company’s backfill runs.',
    params: idParams,
    body: z
      .object({ note: z.string().max(500).optional().describe('Why, shown with the pause.') })
      .strict()
      .optional(),
    problems: ['connection_inactive', 'backfill_running', 'sync_unavailable'],
    responses: { 200: { description: 'The paused connection.', schema: pausedSchema } },
    handler: async ({ auth, params, body }) => {
      await owned(auth.accountId, params.id);
      return pauseWork(
        async () => (await service()).pause(auth.accountId, params.id, body?.note ?? ''),
        params.id,
      );
    },
  });

  routes.add({
    method: 'post',
    path: '/v1/connections/{id}/resume',
    tag: 'Connections',
    summary: 'Resume a paused sync: what waited is synced, and a poll covers the gap',
    description:
      'Contacts stored while paused are written to QuickBooks, Intuit’s webhooks kept meanwhile are applied, a ' +
      'CDC poll picks up whatever else changed, and the follow-up reminders resume (unless an operator or the ' +
      'policy holds them). Resuming a connection that is not paused changes nothing.',
    params: idParams,
    problems: ['connection_inactive', 'sync_unavailable'],
    responses: { 200: { description: 'The resumed connection.', schema: pausedSchema } },
    handler: async ({ auth, params }) => {
      await owned(auth.accountId, params.id);
      return pauseWork(async () => (await service()).resume(auth.accountId, params.id), params.id);
    },
  });

  routes.add({
    method: 'delete',
    path: '/v1/connections/{id}',
    tag: 'Connections',
    summary: 'Disconnect: revoke the tokens at Intuit and stop syncing; history is kept',
    params: idParams,
    responses: { 200: { description: 'The disconnected connection.', schema: connectionSchema } },
    handler: async ({ auth, params }) => {
      await owned(auth.accountId, params.id);
      const updated = await (await service()).disconnect(auth.accountId, params.id);
      if (!updated) throw notFound('connection', params.id);
      return { status: 200, body: await view(updated) };
    },
  });
}

/** The workflow's own view, or null when it does not answer in time (no worker, or not running). */
async function workflowStatus(
  services: ApiServices,
  connectionId: string,
): Promise<ConnectionWorkflowStatus | null> {
  try {
    return await queryConnectionStatus(await services.temporal(), connectionId, services.dependencyTimeoutMs);
  } catch (error) {
    services.log.warn({ err: error, connectionId }, 'connection workflow status unavailable');
    return null;
  }
}
