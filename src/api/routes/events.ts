import { z } from 'zod';
import { accountModel, webhookSecretBinding } from '../../accounts/models';
import { listAttempts, redeliver, webhookBody } from '../../outbound/delivery';
import { outboundEventModel, outboundEventTypes, type OutboundEventRecord } from '../../outbound/events';
import { generateWebhookSecret, signatureHeader } from '../../outbound/signing';
import { OutboundUrlRefused } from '../../security/outbound-url';
import { queueWebhookDelivery } from '../../temporal/webhook-dispatch';
import { decodeCursor, pageOf, pageQuery, toPage } from '../http/cursor';
import { ApiProblem, invalidFields, notFound } from '../http/problem';
import type { ApiRoutes } from '../http/route';
import type { ApiServices } from '../services';
import { ownedConnection } from './owned';

const endpointSchema = z
  .object({
    url: z.string().nullable(),
    enabled: z.boolean(),
    secret: z
      .string()
      .optional()
      .describe(`Shown once, when created or rotated. Verify \`${signatureHeader}\` with it.`),
  })
  .meta({ id: 'WebhookEndpoint' });

const eventSchema = z
  .object({
    id: z.string(),
    type: z.enum(outboundEventTypes),
    createdAt: z.string(),
    connectionId: z.string(),
    crmContactId: z.string().nullable(),
    qboCustomerId: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
    delivery: z.object({
      status: z.enum(['pending', 'delivered', 'failed', 'no_endpoint']),
      attempts: z.number().int(),
      nextAttemptAt: z.string().nullable(),
      lastAttemptAt: z.string().nullable(),
      lastError: z.string().nullable(),
      deliveredAt: z.string().nullable(),
    }),
  })
  .meta({ id: 'Event' });

const attemptSchema = z
  .object({
    at: z.string(),
    url: z.string(),
    statusCode: z.number().int().nullable(),
    error: z.string().nullable(),
    durationMs: z.number(),
  })
  .meta({ id: 'DeliveryAttempt' });

const iso = (date: Date | undefined): string | null => date?.toISOString() ?? null;

function eventJson(event: OutboundEventRecord): z.infer<typeof eventSchema> {
  return {
    id: event._id,
    type: event.type,
    createdAt: event.createdAt.toISOString(),
    connectionId: event.connectionId,
    crmContactId: event.crmContactId ?? null,
    qboCustomerId: event.qboCustomerId ?? null,
    data: event.data,
    delivery: {
      status: event.delivery.status,
      attempts: event.delivery.attempts,
      nextAttemptAt: iso(event.delivery.nextAttemptAt),
      lastAttemptAt: iso(event.delivery.lastAttemptAt),
      lastError: event.delivery.lastError ?? null,
      deliveredAt: iso(event.delivery.deliveredAt),
    },
  };
}

const eventParams = z.object({ id: z.string().max(100) }).strict();

/** A URL the outbound policy would never deliver to is refused now, with the reason, rather than at each delivery. */
async function refuseUnsafeEndpoint(services: ApiServices, url: string): Promise<void> {
  try {
    await services.outbound.check(url, services.dependencyTimeoutMs);
  } catch (error) {
    if (!(error instanceof OutboundUrlRefused)) throw error;
    throw invalidFields([{ field: 'body.url', message: error.message }]);
  }
}

/** The account's webhook endpoint, the events sent to it, their delivery log, and redelivery on demand. */
export function addEventRoutes(routes: ApiRoutes, services: ApiServices): void {
  routes.add({
    method: 'get',
    path: '/v1/webhook-endpoint',
    tag: 'Webhooks',
    summary: 'Where the account’s events are sent',
    responses: { 200: { description: 'The endpoint (never its secret).', schema: endpointSchema } },
    handler: async ({ auth }) => {
      const account = await accountModel(await services.db())
        .findById(auth.accountId)
        .lean();
      return {
        status: 200,
        body: { url: account?.webhook?.url ?? null, enabled: account?.webhook?.enabled ?? false },
      };
    },
  });

  routes.add({
    method: 'put',
    path: '/v1/webhook-endpoint',
    tag: 'Webhooks',
    summary: 'Set the account’s webhook endpoint; a new secret is returned once',
    description:
      'Events are POSTed as JSON `{ id, type, createdAt, accountId, connectionId, data }` with ' +
      `\`${signatureHeader}: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">\`. Reject signatures older ` +
      'than 5 minutes. Failed deliveries are retried with exponential backoff for about three days. The URL must ' +
      'be https, carry no user-info, and point to a public address (checked again at every delivery); ' +
      'redirects are not followed.',
    body: z
      .object({
        url: z.url({ protocol: /^https?$/ }).max(2000),
        enabled: z.boolean().default(true),
        rotateSecret: z.boolean().default(false).describe('Issue a new signing secret.'),
      })
      .strict(),
    responses: { 200: { description: 'The endpoint; `secret` when new.', schema: endpointSchema } },
    handler: async ({ auth, body }) => {
      await refuseUnsafeEndpoint(services, body.url);
      const accounts = accountModel(await services.db());
      const account = await accounts.findById(auth.accountId).lean();
      if (!account) throw notFound('account', auth.accountId);
      const secret = !account.webhook || body.rotateSecret ? generateWebhookSecret() : undefined;
      await accounts.updateOne(
        { _id: auth.accountId },
        {
          $set: {
            'webhook.url': body.url,
            'webhook.enabled': body.enabled,
            ...(secret
              ? { 'webhook.secret': services.qbo.keys.seal(secret, webhookSecretBinding(auth.accountId)) }
              : {}),
          },
        },
      );
      return { status: 200, body: { url: body.url, enabled: body.enabled, ...(secret ? { secret } : {}) } };
    },
  });

  routes.add({
    method: 'get',
    path: '/v1/events',
    tag: 'Webhooks',
    summary: 'Events sent (or to be sent) to the CRM, newest first, with their delivery state',
    query: z
      .object({
        type: z.enum(outboundEventTypes).optional(),
        crmContactId: z.string().max(200).optional(),
        connectionId: z.string().max(100).optional(),
        deliveryStatus: z.enum(['pending', 'delivered', 'failed', 'no_endpoint']).optional(),
        ...pageQuery,
      })
      .strict(),
    problems: ['invalid_cursor'],
    responses: { 200: { description: 'A page of events.', schema: pageOf(eventSchema, 'EventPage') } },
    handler: async ({ auth, query }) => {
      const after = decodeCursor(query.cursor);
      if (query.connectionId) await ownedConnection(services, auth.accountId, query.connectionId);
      const found = await outboundEventModel(await services.db())
        .find({
          accountId: auth.accountId,
          ...(query.type ? { type: query.type } : {}),
          ...(query.crmContactId ? { crmContactId: query.crmContactId } : {}),
          ...(query.connectionId ? { connectionId: query.connectionId } : {}),
          ...(query.deliveryStatus ? { 'delivery.status': query.deliveryStatus } : {}),
          ...(after
            ? {
                $or: [
                  { createdAt: { $lt: new Date(after.at) } },
                  { createdAt: new Date(after.at), _id: { $lt: after.id } },
                ],
              }
            : {}),
        })
        .sort({ createdAt: -1, _id: -1 })
        .limit(query.limit + 1)
        .lean();
      const page = toPage(found, query.limit, (event) => ({
        at: event.createdAt.toISOString(),
        id: event._id,
      }));
      return { status: 200, body: { data: page.data.map(eventJson), nextCursor: page.nextCursor } };
    },
  });

  routes.add({
    method: 'get',
    path: '/v1/events/{id}',
    tag: 'Webhooks',
    summary: 'One event, its exact payload, and every delivery attempt',
    params: eventParams,
    responses: {
      200: {
        description: 'The event and its delivery log.',
        schema: eventSchema
          .extend({ payload: z.string(), attempts: z.array(attemptSchema) })
          .meta({ id: 'EventDetail' }),
      },
    },
    handler: async ({ auth, params }) => {
      const db = await services.db();
      const event = await outboundEventModel(db)
        .findOne({ _id: params.id, accountId: auth.accountId })
        .lean();
      if (!event) throw notFound('event', params.id);
      const attempts = await listAttempts(db, auth.accountId, params.id);
      return {
        status: 200,
        body: {
          ...eventJson(event),
          payload: webhookBody(event),
          attempts: attempts.map((attempt) => ({
            at: attempt.at.toISOString(),
            url: attempt.url,
            statusCode: attempt.statusCode ?? null,
            error: attempt.error ?? null,
            durationMs: attempt.durationMs,
          })),
        },
      };
    },
  });

  routes.add({
    method: 'post',
    path: '/v1/events/{id}/redeliver',
    tag: 'Webhooks',
    summary: 'Send an event again now',
    params: eventParams,
    problems: ['no_webhook_endpoint'],
    responses: { 202: { description: 'Queued for delivery.', schema: eventSchema } },
    handler: async ({ auth, params }) => {
      const db = await services.db();
      const owner = (await outboundEventModel(db).findById(params.id, { accountId: 1 }).lean())?.accountId;
      if (owner !== auth.accountId) throw notFound('event', params.id);
      const account = await accountModel(db).findById(auth.accountId, { webhook: 1 }).lean();
      if (!account?.webhook?.enabled)
        throw new ApiProblem(409, 'no_webhook_endpoint', 'set an enabled webhook endpoint first');
      if (!(await redeliver(db, auth.accountId, params.id, services.now())))
        throw notFound('event', params.id);
      const client = await services.temporal();
      await queueWebhookDelivery(client, auth.accountId, services.taskQueue, services.dependencyTimeoutMs);
      const event = await outboundEventModel(db).findById(params.id).lean();
      return { status: 202, body: eventJson(event!) };
    },
  });
}
