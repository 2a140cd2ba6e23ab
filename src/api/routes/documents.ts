import { z } from 'zod';
import {
  dealIdSchema,
  documentFieldsSchema,
  documentKinds,
  type DocumentKind,
  type DocumentRequest,
  patchedRequest,
} from '../../documents/request';
import type { ConnectionRecord } from '../../db/models/connection';
import {
  acceptRequest,
  acceptUpdate,
  findDocumentByQboId,
  documentKey,
  documentModel,
  readDocumentRecord,
  type DocumentRecord,
} from '../../documents/store';
import { documentSchema, documentView } from '../../documents/view';
import { documentProblemCodes, type DocumentProblem } from '../../documents/validate';
import { conversionSchema, invoiceFromEstimate } from '../../documents/convert';
import { formPdf, readEstimate, sendForm, voidForm } from '../../documents/forms';
import { ConnectionNeedsReauthError } from '../../oauth/connection-tokens';
import { QboApiError } from '../../qbo';
import { runDocumentWrite } from '../../temporal/document-workflows';
import { ApiProblem, problemCodes, type ProblemCode } from '../http/problem';
import type { ApiRoutes, Reply } from '../http/route';
import type { ApiServices } from '../services';
import { ownedConnection } from './owned';

/**
 * Documents from the CRM: a deal becomes an estimate, invoice or sales receipt in QuickBooks. The deal id is the
 * idempotency key; the write runs as a workflow (src/workflows/document.ts) and the route waits for it a while.
 */

const paths: Record<DocumentKind, string> = {
  estimate: 'estimates',
  invoice: 'invoices',
  sales_receipt: 'sales-receipts',
};
const titles: Record<DocumentKind, string> = {
  estimate: 'an estimate',
  invoice: 'an invoice',
  sales_receipt: 'a sales receipt',
};

/** How long a POST waits for QuickBooks before it answers 202 with the document still `writing`. */
const writeWaitMs = 10_000;

const connectionParams = z.object({ id: z.string().max(100) }).strict();

/** Problems a rejected document may carry; each has its own status (422, or 409 for a dead grant). */
const rejectionCodes: readonly ProblemCode[] = documentProblemCodes;

function rejection(problems: DocumentProblem[]): ApiProblem {
  const [first] = problems;
  if (!first) return new ApiProblem(422, 'qbo_rejected', 'QuickBooks did not take the document');
  return new ApiProblem(
    problemCodes[first.code],
    first.code,
    problems.map((problem) => problem.message).join('; '),
    first.field,
    problems.map(({ field, message }) => ({ field, message })),
  );
}

export function addDocumentRoutes(routes: ApiRoutes, services: ApiServices): void {
  for (const kind of documentKinds) {
    addCreateRoute(routes, services, kind);
    addFormRoutes(routes, services, kind);
    addPatchRoute(routes, services, kind);
  }
  addConversionRoute(routes, services);
  for (const kind of ['invoice', 'sales_receipt'] as const) addVoidRoute(routes, services, kind);

  routes.add({
    method: 'get',
    path: '/v1/connections/{id}/deals/{dealId}/documents',
    tag: 'Documents',
    summary: 'The documents made for a deal',
    description:
      'Each estimate, invoice and sales receipt asked for with this deal id, and what became of it.',
    params: connectionParams.extend({ dealId: dealIdSchema }).strict(),
    responses: {
      200: {
        description: 'The deal’s documents, estimates first.',
        schema: z.object({ data: z.array(documentSchema) }),
      },
    },
    handler: async ({ auth, params }) => {
      await ownedConnection(services, auth.accountId, params.id);
      const db = await services.db();
      const records = await documentModel(db)
        .find({ _id: { $in: documentKinds.map((kind) => documentKey(params.id, kind, params.dealId)) } })
        .lean();
      const ordered = documentKinds.flatMap((kind) => records.filter((record) => record.kind === kind));
      return {
        status: 200,
        body: { data: await Promise.all(ordered.map((record) => documentView(db, record))) },
      };
    },
  });
}

function addCreateRoute(routes: ApiRoutes, services: ApiServices, kind: DocumentKind): void {
  routes.add({
    method: 'post',
    path: `/v1/connections/{id}/${paths[kind]}`,
    tag: 'Documents',
    summary: `Make ${titles[kind]} in QuickBooks for a CRM deal`,
    description:
      `Writes ${titles[kind]} for the deal to QuickBooks, once: the same request again (a retry, a double ` +
      'click) answers with the same document; a different one for the same deal is a 409, unless the first was ' +
      'rejected. Everything QuickBooks would refuse is checked first and answered with a 422 naming the line ' +
      'and why. A CRM contact not yet in QuickBooks is written there first.',
    params: connectionParams,
    body: documentFieldsSchema(kind).extend({ dealId: dealIdSchema }).strict(),
    problems: ['connection_inactive', 'document_exists', 'document_busy', ...rejectionCodes],
    responses: {
      201: { description: 'Written to QuickBooks.', schema: documentSchema },
      200: { description: 'The deal’s document, written by an earlier request.', schema: documentSchema },
      202: {
        description:
          'Accepted, and still being written (QuickBooks is slow or unavailable): GET ' +
          '/v1/connections/{id}/deals/{dealId}/documents shows when it is.',
        schema: documentSchema,
      },
    },
    handler: async ({ auth, params, body }) => {
      const connection = await activeConnection(services, auth.accountId, params.id);
      const { dealId, ...request } = body;
      return writeForDeal(services, connection, kind, dealId, request);
    },
  });
}

async function activeConnection(
  services: ApiServices,
  accountId: string,
  id: string,
): Promise<ConnectionRecord> {
  const connection = await ownedConnection(services, accountId, id);
  if (connection.status !== 'active')
    throw new ApiProblem(409, 'connection_inactive', `the connection is ${connection.status}; reconnect it`);
  return connection;
}

/**
 * The deal's document of this kind, written once: the request is accepted (or found, for a repeat), its workflow
 * run (or joined), and the answer is what became of it. A rejection is the 422 (or 409) of its first problem, with
 * every problem in `errors`.
 */
async function writeForDeal(
  services: ApiServices,
  connection: ConnectionRecord,
  kind: DocumentKind,
  dealId: string,
  request: DocumentRequest,
): Promise<Reply> {
  const db = await services.db();
  const accepted = await acceptRequest(
    db,
    { accountId: connection.accountId, connectionId: connection._id, kind, dealId, request },
    services.now(),
  );
  if (accepted.outcome === 'conflict') throw conflict(accepted.record);
  let record: DocumentRecord | null = accepted.record;
  if (record.state === 'writing') {
    await runDocumentWrite(
      await services.temporal(),
      {
        accountId: connection.accountId,
        connectionId: connection._id,
        documentId: record._id,
        step: String(record.attempt),
      },
      { taskQueue: services.taskQueue, startTimeoutMs: services.dependencyTimeoutMs, waitMs: writeWaitMs },
    );
    record = await readDocumentRecord(db, record._id);
    if (!record) throw new Error(`the document ${accepted.record._id} vanished`);
  }
  if (record.state === 'rejected') throw rejection(record.problems ?? []);
  const status = record.state === 'writing' ? 202 : accepted.outcome === 'accepted' ? 201 : 200;
  return { status, body: await documentView(db, record) };
}

function conflict(record: DocumentRecord): ApiProblem {
  const what = `deal ${record.dealId}`;
  return record.state === 'written'
    ? new ApiProblem(
        409,
        'document_exists',
        `${what} has its ${record.kind.replace('_', ' ')} already (QuickBooks id ${record.qboId}), made from a ` +
          'different request: change it with PATCH, or use another deal id',
        'body.dealId',
      )
    : new ApiProblem(
        409,
        'document_busy',
        `${what}'s ${record.kind.replace('_', ' ')} is being written from a different request; wait for it`,
        'body.dealId',
      );
}

/** What a direct QBO call's failure means to the CRM. */
async function fromQbo<T>(call: () => Promise<T>, what: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ConnectionNeedsReauthError)
      throw new ApiProblem(
        409,
        'connection_inactive',
        'QuickBooks no longer accepts this connection: reconnect it',
      );
    if (!(error instanceof QboApiError)) throw error;
    if (error.kind === 'not-found') throw new ApiProblem(404, 'not_found', `QuickBooks has no ${what}`);
    if (error.retryable)
      throw new ApiProblem(
        503,
        'qbo_unavailable',
        `QuickBooks did not answer (${error.message}); try again`,
        undefined,
        undefined,
        { 'Retry-After': String(Math.ceil((error.retryAfterMs ?? 5000) / 1000)) },
      );
    throw new ApiProblem(422, 'qbo_rejected', `QuickBooks refused: ${error.message}`);
  }
}

const formParams = connectionParams
  .extend({ qboId: z.string().regex(/^\d{1,20}$/, 'is a QuickBooks id') })
  .strict();

const sentFormSchema = z
  .object({
    emailStatus: z.string().nullable().describe('QuickBooks’ `EmailStatus`: `EmailSent` once sent.'),
    deliveryInfo: z
      .object({ type: z.string().nullable(), time: z.string().nullable() })
      .nullable()
      .describe('QuickBooks’ `DeliveryInfo`: how and when it was sent.'),
    sentTo: z.string().nullable().describe('The address it went to (`BillEmail`).'),
    transaction: documentSchema.shape.transaction,
  })
  .meta({ id: 'SentForm' });

function addFormRoutes(routes: ApiRoutes, services: ApiServices, kind: DocumentKind): void {
  const what = (qboId: string) => `${kind.replace('_', ' ')} ${qboId}`;
  routes.add({
    method: 'post',
    path: `/v1/connections/{id}/${paths[kind]}/{qboId}/send`,
    tag: 'Documents',
    summary: `Email ${titles[kind]} to the customer through QuickBooks`,
    description:
      'QuickBooks emails it to `to`, or to its billing email, and marks it sent. Each call sends again: retry with ' +
      'the same `Idempotency-Key` to be sure of one email.',
    params: formParams,
    body: z
      .object({
        to: z.email().max(100).optional().describe('Another address than the document’s billing email.'),
      })
      .strict(),
    idempotent: true,
    problems: ['connection_inactive', 'qbo_rejected', 'qbo_unavailable'],
    responses: { 200: { description: 'Sent.', schema: sentFormSchema } },
    handler: async ({ auth, params, body }) => {
      const connection = await ownedConnection(services, auth.accountId, params.id);
      const sent = await fromQbo(
        async () =>
          sendForm(
            await services.db(),
            services.qbo,
            connection,
            kind,
            params.qboId,
            body.to,
            services.now(),
          ),
        what(params.qboId),
      );
      return { status: 200, body: sent };
    },
  });

  routes.add({
    method: 'get',
    path: `/v1/connections/{id}/${paths[kind]}/{qboId}/pdf`,
    tag: 'Documents',
    summary: `${titles[kind].replace(/^an? /, (article) => article.toUpperCase())} as QuickBooks prints it (PDF)`,
    params: formParams,
    problems: ['connection_inactive', 'qbo_rejected', 'qbo_unavailable'],
    responses: { 200: { description: 'QuickBooks’ PDF.', media: 'application/pdf' } },
    handler: async ({ auth, params }) => {
      await ownedConnection(services, auth.accountId, params.id);
      const pdf = await fromQbo(
        async () => formPdf(await services.db(), services.qbo, params.id, kind, params.qboId),
        what(params.qboId),
      );
      return {
        status: 200,
        bytes: { contentType: 'application/pdf', data: pdf.bytes },
        headers: { 'Content-Disposition': `inline; filename="${paths[kind]}-${params.qboId}.pdf"` },
      };
    },
  });
}

function addConversionRoute(routes: ApiRoutes, services: ApiServices): void {
  routes.add({
    method: 'post',
    path: '/v1/connections/{id}/estimates/{qboId}/invoice',
    tag: 'Documents',
    summary: 'Turn an estimate into an invoice for a CRM deal, wholly or in part',
    description:
      'Makes the deal’s invoice from the estimate’s lines (all, or those named, a line’s quantity in part), ' +
      'customer, currency and tax; QuickBooks links the invoice to the estimate and closes it. Once per deal, as ' +
      '`POST …/invoices`, and checked the same way.',
    params: formParams,
    body: conversionSchema.extend({ dealId: dealIdSchema }).strict(),
    problems: [
      'connection_inactive',
      'document_exists',
      'document_busy',
      'estimate_not_convertible',
      'qbo_unavailable',
      ...rejectionCodes,
    ],
    responses: {
      201: { description: 'Written to QuickBooks.', schema: documentSchema },
      200: { description: 'The deal’s invoice, written by an earlier request.', schema: documentSchema },
      202: { description: 'Accepted, and still being written.', schema: documentSchema },
    },
    handler: async ({ auth, params, body }) => {
      const connection = await activeConnection(services, auth.accountId, params.id);
      const { dealId, ...conversion } = body;
      const estimate = await fromQbo(
        async () => readEstimate(await services.db(), services.qbo, connection._id, params.qboId),
        `estimate ${params.qboId}`,
      );
      const converted = invoiceFromEstimate(estimate, conversion);
      if (!converted.ok) throw rejection([converted.problem]);
      return writeForDeal(services, connection, 'invoice', dealId, converted.request);
    },
  });
}

function addVoidRoute(routes: ApiRoutes, services: ApiServices, kind: 'invoice' | 'sales_receipt'): void {
  routes.add({
    method: 'post',
    path: `/v1/connections/{id}/${paths[kind]}/{qboId}/void`,
    tag: 'Documents',
    summary: `Void ${titles[kind]} in QuickBooks`,
    description:
      'QuickBooks keeps it, every amount zeroed, marked void. Voiding one already void changes nothing. ' +
      '(Estimates cannot be voided in QuickBooks.)',
    params: formParams,
    problems: ['connection_inactive', 'qbo_rejected', 'qbo_unavailable'],
    responses: {
      200: {
        description: 'Void: the document as the contact’s folder now shows it.',
        schema: z.object({ transaction: documentSchema.shape.transaction }),
      },
    },
    handler: async ({ auth, params }) => {
      const connection = await activeConnection(services, auth.accountId, params.id);
      const transaction = await fromQbo(
        async () =>
          voidForm(await services.db(), services.qbo, connection, kind, params.qboId, services.now()),
        `${kind.replace('_', ' ')} ${params.qboId}`,
      );
      return { status: 200, body: { transaction } };
    },
  });
}

function addPatchRoute(routes: ApiRoutes, services: ApiServices, kind: DocumentKind): void {
  routes.add({
    method: 'patch',
    path: `/v1/connections/{id}/${paths[kind]}/{qboId}`,
    tag: 'Documents',
    summary: `Change ${titles[kind]} made from the CRM`,
    description:
      'Replaces the fields named (`lines`, when named, replace every line), checks the whole document again as ' +
      'on creation, and writes it to QuickBooks as a workflow step. The same change again answers with the ' +
      'document; another change while one is being written is a 409.',
    params: formParams,
    body: documentFieldsSchema(kind).partial().strict(),
    problems: ['connection_inactive', 'document_busy', ...rejectionCodes],
    responses: {
      200: { description: 'Changed in QuickBooks.', schema: documentSchema },
      202: { description: 'Accepted, and still being written.', schema: documentSchema },
    },
    handler: async ({ auth, params, body }) => {
      const connection = await activeConnection(services, auth.accountId, params.id);
      const db = await services.db();
      const record = await findDocumentByQboId(db, connection._id, kind, params.qboId);
      if (record?.state !== 'written')
        throw new ApiProblem(
          404,
          'not_found',
          `No ${kind.replace('_', ' ')} ${params.qboId} made from the CRM on this connection.`,
        );
      const accepted = await acceptUpdate(db, record, patchedRequest(record.request, body), services.now());
      if (accepted.outcome === 'conflict')
        throw new ApiProblem(
          409,
          'document_busy',
          `another change to ${kind.replace('_', ' ')} ${params.qboId} is being written; wait for it`,
        );
      const update = accepted.record.update;
      let current: DocumentRecord | null = accepted.record;
      if (update?.state === 'writing') {
        await runDocumentWrite(
          await services.temporal(),
          {
            accountId: connection.accountId,
            connectionId: connection._id,
            documentId: record._id,
            step: `update-${update.revision}`,
          },
          {
            taskQueue: services.taskQueue,
            startTimeoutMs: services.dependencyTimeoutMs,
            waitMs: writeWaitMs,
          },
        );
        current = await readDocumentRecord(db, record._id);
        if (!current) throw new Error(`the document ${record._id} vanished`);
      }
      if (current.update?.state === 'rejected') throw rejection(current.update.problems ?? []);
      return {
        status: current.update?.state === 'writing' ? 202 : 200,
        body: await documentView(db, current),
      };
    },
  });
}
