import { z } from 'zod';
import { itemToProduct, type Product, type QboItem } from '../sync/product-mapping';
import type { QboItemRecord } from '../projections/models';

/**
 * A product as the CRM sees it, in the products feed and in `product.created` / `product.updated` events: QBO's
 * item, its id, and when the change landed. The zod schema is the one description of its shape.
 */

const namedRefSchema = z.object({ id: z.string(), name: z.string().nullable() });

export const productSchema = z
  .object({
    connectionId: z.string(),
    qboItemId: z.string(),
    name: z.string(),
    sku: z.string().nullable(),
    description: z.string().nullable(),
    type: z
      .string()
      .describe('Service, NonInventory or Inventory (Category and Group items cannot be sold).'),
    unitPrice: z.number().nullable(),
    incomeAccount: namedRefSchema.nullable(),
    taxable: z
      .boolean()
      .describe('US companies: sales lines of it are taxable (TAX) unless a line says otherwise.'),
    salesTaxCode: namedRefSchema
      .nullable()
      .describe('VAT and GST companies: the tax code its sales lines take unless a line names another.'),
    active: z.boolean(),
    changedAt: z.string().describe('When the change reached us.'),
  })
  .meta({ id: 'Product' });

export type ProductView = z.infer<typeof productSchema>;

function view(connectionId: string, qboItemId: string, product: Product, changedAt: Date): ProductView {
  return { connectionId, qboItemId, ...product, changedAt: changedAt.toISOString() };
}

export function storedProductView(record: QboItemRecord): ProductView {
  return view(record.connectionId, record.qboId, record.product, record.qboChangedAt ?? record.appliedAt);
}

export function itemProductView(connectionId: string, item: QboItem, at: Date): ProductView {
  return view(connectionId, item.Id, itemToProduct(item), at);
}
