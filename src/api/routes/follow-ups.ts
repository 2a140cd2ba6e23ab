import { z } from 'zod';
import { followUpKinds } from '../../followups/stages';
import { followUpStatuses } from '../../followups/models';
import { followUpPolicySchema } from '../../followups/policy';
import { FollowUpService, FollowUpStateError } from '../../followups/service';
import { listOptOuts, removeOptOut } from '../../followups/unsubscribe';
import { decodeCursor, encodeCursor, pageOf, pageQuery, toPage } from '../http/cursor';
import { ApiProblem, notFound } from '../http/problem';
import type { ApiRoutes } from '../http/route';
import type { ApiServices } from '../services';
import { ownedConnection } from './owned';

const followUpSchema = z
  .object({
    id: z.string().describe('The dedupe key: one follow-up per document and stage, ever.'),
    connectionId: z.string(),
    kind: z.enum(followUpKinds),
    stage: z.string(),
    entity: z.string(),
    qboId: z.string(),
    qboCustomerId: z.string().optional(),
    crmContactId: z.string().optional(),
    customerName: z.string().optional(),
    document: z.record(z.string(), z.unknown()),
    daysOverdue: z.number().optional(),
    daysToExpiry: z.number().optional(),
    dueOn: z.string(),
    status: z.enum(followUpStatuses),
    statusReason: z.string().optional(),
    note: z.string().optional(),
    channels: z.record(z.string(), z.unknown()),
    history: z.array(z.record(z.string(), z.unknown())).describe('What was sent to whom, and when.'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .loose()
  .meta({ id: 'FollowUp' });

const optOutSchema = z
  .object({
    qboCustomerId: z.string(),
    address: z.string().describe('The address the unsubscribe link was sent to.'),
    at: z.string().describe('When the customer unsubscribed.'),
  })
  .meta({ id: 'EmailOptOut' });

const policyResponse = followUpPolicySchema.meta({ id: 'FollowUpPolicy' });
const idParams = z.object({ id: z.string().max(300) }).strict();

/** JSON as the client sees it: dates become ISO strings before the response is checked against its schema. */
const asJson = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

export function addFollowUpRoutes(routes: ApiRoutes, services: ApiServices): void {
  const service = async () =>
    new FollowUpService({
      db: await services.db(),
      temporal: services.temporal,
      taskQueue: services.taskQueue,
      now: services.now,
    });

  routes.add({
    method: 'get',
    path: '/v1/connections/{id}/follow-up-policy',
    tag: 'Follow-ups',
    summary: 'The connection’s follow-up policy (defaults until one is set)',
    params: idParams,
    responses: { 200: { description: 'The policy.', schema: policyResponse } },
    handler: async ({ auth, params }) => {
      const policy = await (await service()).getPolicy(auth.accountId, params.id);
      if (!policy) throw notFound('connection', params.id);
      return { status: 200, body: policy };
    },
  });

  routes.add({
    method: 'put',
    path: '/v1/connections/{id}/follow-up-policy',
    tag: 'Follow-ups',
    summary: 'Replace the follow-up policy; the connection’s reminder schedule follows it',
    params: idParams,
    body: followUpPolicySchema,
    responses: { 200: { description: 'The stored policy.', schema: policyResponse } },
    handler: async ({ auth, params, body }) => {
      const policy = await (await service()).setPolicy(auth.accountId, params.id, body);
      if (!policy) throw notFound('connection', params.id);
      return { status: 200, body: policy };
    },
  });

  routes.add({
    method: 'get',
    path: '/v1/follow-ups',
    tag: 'Follow-ups',
    summary: 'The account’s follow-ups, oldest first',
    query: z
      .object({
        connectionId: z.string().max(100).optional(),
        status: z.enum(followUpStatuses).optional(),
        kind: z.enum(followUpKinds).optional(),
        crmContactId: z.string().max(200).optional(),
        ...pageQuery,
      })
      .strict(),
    problems: ['invalid_cursor'],
    responses: {
      200: {
        description: 'A page of follow-ups.',
        schema: z
          .object({ data: z.array(followUpSchema), nextCursor: z.string().nullable() })
          .meta({ id: 'FollowUpPage' }),
      },
    },
    handler: async ({ auth, query }) => {
      if (query.connectionId) await ownedConnection(services, auth.accountId, query.connectionId);
      const { cursor, limit, ...filter } = query;
      const after = decodeCursor(cursor);
      const page = await (
        await service()
      ).listFollowUps(auth.accountId, filter, {
        limit,
        ...(after ? { after } : {}),
      });
      return {
        status: 200,
        body: { data: asJson(page.data), nextCursor: page.next ? encodeCursor(page.next) : null },
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/v1/follow-ups/{id}',
    tag: 'Follow-ups',
    summary: 'One follow-up and the history of what was sent to whom',
    params: idParams,
    responses: { 200: { description: 'The follow-up.', schema: followUpSchema } },
    handler: async ({ auth, params }) => {
      const found = await (await service()).getFollowUp(auth.accountId, params.id);
      if (!found) throw notFound('follow-up', params.id);
      return { status: 200, body: asJson(found) };
    },
  });

  for (const action of ['complete', 'dismiss'] as const) {
    routes.add({
      method: 'post',
      path: `/v1/follow-ups/{id}/${action}`,
      tag: 'Follow-ups',
      summary:
        action === 'complete' ? 'Mark a follow-up done' : 'Dismiss a follow-up; a pending one is never sent',
      params: idParams,
      body: z.object({ note: z.string().max(2000).optional() }).strict(),
      problems: ['follow_up_closed'],
      responses: { 200: { description: 'The follow-up.', schema: followUpSchema } },
      handler: async ({ auth, params, body }) => {
        try {
          const followUps = await service();
          const done =
            action === 'complete'
              ? await followUps.completeFollowUp(
                  auth.accountId,
                  params.id,
                  body.note ? { note: body.note } : {},
                )
              : await followUps.dismissFollowUp(
                  auth.accountId,
                  params.id,
                  body.note ? { reason: body.note } : {},
                );
          if (!done) throw notFound('follow-up', params.id);
          return { status: 200, body: asJson(done) };
        } catch (error) {
          if (error instanceof FollowUpStateError)
            throw new ApiProblem(409, 'follow_up_closed', error.message);
          throw error;
        }
      },
    });
  }

  routes.add({
    method: 'get',
    path: '/v1/connections/{id}/email-opt-outs',
    tag: 'Follow-ups',
    summary: 'The customers who unsubscribed from the connection’s reminder emails',
    params: idParams,
    query: z.object(pageQuery).strict(),
    problems: ['invalid_cursor'],
    responses: {
      200: { description: 'A page of opt-outs.', schema: pageOf(optOutSchema, 'EmailOptOutPage') },
    },
    handler: async ({ auth, params, query }) => {
      await ownedConnection(services, auth.accountId, params.id);
      const after = decodeCursor(query.cursor)?.id;
      const found = await listOptOuts(await services.db(), params.id, {
        limit: query.limit + 1,
        ...(after !== undefined && { after }),
      });
      const page = toPage(found, query.limit, (optOut) => ({ at: '', id: optOut._id }));
      return {
        status: 200,
        body: {
          data: page.data.map(({ qboCustomerId, address, at }) => ({
            qboCustomerId,
            address,
            at: at.toISOString(),
          })),
          nextCursor: page.nextCursor,
        },
      };
    },
  });

  routes.add({
    method: 'delete',
    path: '/v1/connections/{id}/email-opt-outs/{qboCustomerId}',
    tag: 'Follow-ups',
    summary: 'Remove a customer’s opt-out: their reminder emails resume with the next run',
    params: z.object({ id: z.string().max(300), qboCustomerId: z.string().min(1).max(100) }).strict(),
    responses: { 204: { description: 'Removed.' } },
    handler: async ({ auth, params }) => {
      await ownedConnection(services, auth.accountId, params.id);
      if (!(await removeOptOut(await services.db(), params.id, params.qboCustomerId)))
        throw notFound('email opt-out', params.qboCustomerId);
      return { status: 204 };
    },
  });
}
