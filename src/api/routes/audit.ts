import { z } from 'zod';
import { driftKinds, transactionDriftKinds } from '../../audit/drift';
import { markAuditRunning, readAudit, recordAuditFailure, type DriftAuditRecord } from '../../audit/store';
import { syncFieldNames } from '../../sync/fields';
import { startDriftAudit } from '../../temporal/drift-audit';
import { ApiProblem, notFound } from '../http/problem';
import type { ApiRoutes } from '../http/route';
import type { ApiServices } from '../services';
import { ownedConnection } from './owned';

const auditSchema = z
  .object({
    connectionId: z.string(),
    status: z.enum(['running', 'completed', 'failed']),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    error: z.string().nullable(),
    counts: z
      .object({
        customers: z.number().int().describe('Customers QuickBooks returned, active and inactive.'),
        compared: z.number().int().describe('Linked contacts compared field by field with their customer.'),
        inFlight: z
          .number()
          .int()
          .describe('Linked contacts not compared: a change of theirs was still on its way.'),
        drifted: z.number().int().describe('Customers or links where something disagreed with QuickBooks.'),
        driftedFields: z.number().int(),
        healed: z
          .number()
          .int()
          .describe('Drifted ones that agree with QuickBooks after the audit synced QuickBooks’ version.'),
        byKind: z.record(z.enum(driftKinds), z.number().int()),
        unlinkedCustomers: z.number().int().describe('Active customers no contact is linked to.'),
        qboRequests: z
          .number()
          .int()
          .describe(
            'Requests made to QuickBooks: query pages, and a read of each transaction it stopped listing.',
          ),
        transactions: z
          .object({
            read: z
              .number()
              .int()
              .describe('Transactions QuickBooks listed within the connection’s history window.'),
            missing: z
              .number()
              .int()
              .describe('Listed by QuickBooks, absent from our copy (a folder lacked them).'),
            behind: z.number().int().describe('Our copy held an older version than QuickBooks’.'),
            deleted: z.number().int().describe('Our copy held them; QuickBooks had deleted them.'),
            healed: z.number().int().describe('Of those, how many our copy agrees on after the audit.'),
          })
          .optional()
          .describe('Absent from audits made before transactions were audited.'),
      })
      .nullable(),
    rate: z.number().nullable().describe('Drifted per compared link.'),
    samples: z.array(
      z.object({
        kinds: z.array(z.enum(driftKinds)),
        qboCustomerId: z.string(),
        crmContactId: z.string().nullable(),
        fields: z.array(
          z.object({
            field: z.enum(syncFieldNames),
            qbo: z.string().nullable(),
            projection: z.string().nullable(),
            crm: z.string().nullable(),
          }),
        ),
        healed: z.boolean(),
        mergedInto: z.string().nullable(),
      }),
    ),
    unlinkedSamples: z.array(z.string()).describe('Ids of some customers no contact is linked to.'),
    transactionSamples: z
      .array(
        z.object({
          kind: z.enum(transactionDriftKinds),
          entity: z
            .string()
            .describe('Invoice, Payment, Estimate, SalesReceipt, CreditMemo or RefundReceipt.'),
          qboId: z.string(),
          customerQboId: z.string().nullable(),
          healed: z.boolean(),
        }),
      )
      .describe('Up to 25 transactions that drifted.'),
    history: z
      .array(
        z.object({
          finishedAt: z.string(),
          compared: z.number().int(),
          drifted: z.number().int(),
          healed: z.number().int(),
          rate: z.number(),
        }),
      )
      .describe('The completed audits, oldest first (up to 90): the drift rate over time.'),
  })
  .meta({ id: 'DriftAudit' });

const idParams = z.object({ id: z.string().max(100) }).strict();

function auditJson(record: DriftAuditRecord) {
  return {
    connectionId: record._id,
    status: record.status,
    startedAt: record.startedAt.toISOString(),
    finishedAt: record.finishedAt?.toISOString() ?? null,
    error: record.error ?? null,
    counts: record.counts ?? null,
    rate: record.rate ?? null,
    samples: (record.samples ?? []).map((sample) => ({ ...sample, mergedInto: sample.mergedInto ?? null })),
    unlinkedSamples: record.unlinkedSamples ?? [],
    transactionSamples: record.transactionSamples ?? [],
    history: (record.history ?? []).map((entry) => ({
      ...entry,
      finishedAt: new Date(entry.finishedAt).toISOString(),
    })),
  };
}

export function addAuditRoutes(routes: ApiRoutes, services: ApiServices): void {
  routes.add({
    method: 'post',
    path: '/v1/connections/{id}/audit',
    tag: 'Connections',
    summary:
      'Run a drift audit: compare every linked contact, our copy and QuickBooks, and heal what the sync can',
    description:
      'Reads every QuickBooks customer in query pages and compares, by the synced fields, the CRM’s view of ' +
      'each linked contact, our copy of the customer and QuickBooks itself; then every transaction of the ' +
      'connection’s history window against our copy. A copy behind QuickBooks is synced the normal way (recorded ' +
      'in the sync history, announced to the CRM). Read the outcome with ' +
      '`GET /v1/connections/{id}/audit`; asking while one runs joins it. Every connection is also audited once a ' +
      'day by a Temporal Schedule (`drift-audit:<connectionId>`), created when the company is connected.',
    params: idParams,
    problems: ['connection_inactive', 'sync_unavailable'],
    responses: { 202: { description: 'The audit is running.', schema: auditSchema } },
    handler: async ({ auth, params }) => {
      const connection = await ownedConnection(services, auth.accountId, params.id);
      if (connection.status !== 'active')
        throw new ApiProblem(409, 'connection_inactive', `the connection is ${connection.status}`);
      const db = await services.db();
      const latest = await readAudit(db, connection._id);
      const running = latest?.status === 'running';
      if (!running) await markAuditRunning(db, connection._id, services.now());
      try {
        const client = await services.temporal();
        await client.withDeadline(Date.now() + services.dependencyTimeoutMs, () =>
          startDriftAudit(
            client,
            connection._id,
            services.taskQueue,
            running ? undefined : (latest?.finishedAt ?? undefined),
          ),
        );
      } catch (error) {
        services.log.warn({ err: error, connectionId: connection._id }, 'could not start the drift audit');
        await recordAuditFailure(db, connection._id, 'the audit could not be started', services.now());
        throw new ApiProblem(
          503,
          'sync_unavailable',
          'the sync engine did not answer; retry the request',
          undefined,
          undefined,
          {
            'Retry-After': '5',
          },
        );
      }
      return { status: 202, body: auditJson((await readAudit(db, connection._id))!) };
    },
  });

  routes.add({
    method: 'get',
    path: '/v1/connections/{id}/audit',
    tag: 'Connections',
    summary: 'The latest drift audit: what it found, what it healed, the drift rate',
    params: idParams,
    responses: { 200: { description: 'The latest audit.', schema: auditSchema } },
    handler: async ({ auth, params }) => {
      const connection = await ownedConnection(services, auth.accountId, params.id);
      const audit = await readAudit(await services.db(), connection._id);
      if (!audit) throw notFound('audit of connection', params.id);
      return { status: 200, body: auditJson(audit) };
    },
  });
}
