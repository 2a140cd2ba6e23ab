import type { Connection } from 'mongoose';
import { z } from 'zod';
import { transactionItemSchema } from '../contacts/section';
import { qboTransactionModel, transactionKey } from '../projections/models';
import { isLive } from '../sync/transactions';
import { documentEntities, documentKinds } from './request';
import { documentStates, type DocumentRecord } from './store';
import { documentProblemCodes } from './validate';

/**
 * A document from the CRM as the API answers it: the deal's request and what became of it, and once written the
 * document as QuickBooks has it now (the same shape as in the contact's transactions folder, where it lives too).
 */

export const documentProblemSchema = z.object({
  code: z.enum(documentProblemCodes),
  field: z.string().describe('The request field at fault, e.g. `body.lines.1.taxCode`.'),
  message: z.string(),
});

export const documentSchema = z
  .object({
    connectionId: z.string(),
    kind: z.enum(documentKinds),
    dealId: z.string(),
    state: z
      .enum(documentStates)
      .describe(
        '`writing` until QuickBooks has it (retried through outages), then `written`; `rejected` with the ' +
          '`problems` when it cannot be written (send a corrected request for the same deal).',
      ),
    problems: z.array(documentProblemSchema),
    qboId: z.string().nullable(),
    qboCustomerId: z.string().nullable(),
    subtotal: z.number().nullable().describe('QuickBooks’ sum of the lines, before the discount.'),
    discount: z.number().nullable(),
    tax: z.number().nullable().describe('QuickBooks’ total tax.'),
    transaction: transactionItemSchema
      .nullable()
      .describe('The document as QuickBooks has it now: number, total, balance, status and links.'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Document' });
export type DocumentView = z.infer<typeof documentSchema>;

export async function documentView(db: Connection, record: DocumentRecord): Promise<DocumentView> {
  const projected =
    record.qboId === undefined
      ? null
      : await qboTransactionModel(db)
          .findById(transactionKey(record.connectionId, documentEntities[record.kind], record.qboId))
          .lean();
  return {
    connectionId: record.connectionId,
    kind: record.kind,
    dealId: record.dealId,
    state: record.state,
    problems: record.problems ?? [],
    qboId: record.qboId ?? null,
    qboCustomerId: record.qboCustomerId ?? null,
    subtotal: record.qboTotals?.subtotal ?? null,
    discount: record.qboTotals?.discount ?? null,
    tax: record.qboTotals?.tax ?? null,
    transaction: projected && isLive(projected.view) ? projected.view : null,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}
