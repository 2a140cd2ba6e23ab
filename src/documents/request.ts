import { z } from 'zod';
import { addressParts } from '../sync/fields';

/**
 * What the CRM sends to make an estimate, invoice or sales receipt: one zod description that validates the request,
 * documents it in OpenAPI and types the rest of the module. QuickBooks' own rules (tax codes, currency, closed books,
 * products) are checked afterwards against the company (./validate.ts); these only stop malformed input at the door.
 */

export const documentKinds = ['estimate', 'invoice', 'sales_receipt'] as const;
export type DocumentKind = (typeof documentKinds)[number];

export const documentEntities = {
  estimate: 'Estimate',
  invoice: 'Invoice',
  sales_receipt: 'SalesReceipt',
} as const satisfies Record<DocumentKind, string>;
export type DocumentEntity = (typeof documentEntities)[DocumentKind];

const isoDate = z.iso.date();

/** A QBO name-list entry (terms, class, location, payment method, tax code) named by its Id or its name. */
export const listRefSchema = z
  .union([
    z.object({ id: z.string().min(1).max(50) }).strict(),
    z.object({ name: z.string().min(1).max(100) }).strict(),
  ])
  .meta({ id: 'ListRef', description: 'A QuickBooks list entry, by `id` or by `name`.' });
export type ListRef = z.infer<typeof listRefSchema>;

export const productRefSchema = z
  .union([
    z.object({ qboItemId: z.string().min(1).max(50) }).strict(),
    z.object({ sku: z.string().min(1).max(100) }).strict(),
    z.object({ name: z.string().min(1).max(100) }).strict(),
  ])
  .meta({
    id: 'ProductRef',
    description:
      'The product or service: its QuickBooks id (`qboItemId` from the products feed), SKU or name.',
  });
export type ProductRef = z.infer<typeof productRefSchema>;

const discountSchema = z
  .union([
    z.object({ percent: z.number().gt(0).max(100) }).strict(),
    z.object({ amount: z.number().gt(0).max(1e12) }).strict(),
  ])
  .meta({ id: 'Discount', description: 'A discount, as a percentage or an amount.' });
export type Discount = z.infer<typeof discountSchema>;

const lineSchema = z
  .object({
    product: productRefSchema,
    quantity: z.number().gt(0).max(1e9).default(1),
    unitPrice: z
      .number()
      .min(0)
      .max(1e12)
      .optional()
      .describe('Before any discount; the product’s price in QuickBooks when left out.'),
    discount: discountSchema
      .optional()
      .describe('Taken off this line: QuickBooks gets the discounted unit price, and the line says so.'),
    amount: z
      .number()
      .min(0)
      .max(1e12)
      .optional()
      .describe(
        'The line total as the CRM computed it: checked against quantity × price before anything is sent.',
      ),
    description: z.string().max(4000).optional(),
    serviceDate: isoDate.optional(),
    taxable: z
      .boolean()
      .optional()
      .describe('US companies: whether the line is taxed; the product’s setting by default.'),
    taxCode: listRefSchema
      .optional()
      .describe('VAT and GST companies: the line’s tax code; the product’s sales tax code by default.'),
  })
  .strict()
  .meta({ id: 'DocumentLine' });
export type DocumentLine = z.infer<typeof lineSchema>;

const addressSchema = z
  .object(
    Object.fromEntries(
      addressParts.map((part) => [part, z.string().max(500).nullable().optional()]),
    ) as Record<(typeof addressParts)[number], z.ZodOptional<z.ZodNullable<z.ZodString>>>,
  )
  .strict()
  .meta({ id: 'DocumentAddress' });
export type DocumentAddress = z.infer<typeof addressSchema>;

export const customerRefSchema = z
  .union([
    z.object({ crmContactId: z.string().min(1).max(200) }).strict(),
    z.object({ qboCustomerId: z.string().min(1).max(50) }).strict(),
  ])
  .meta({
    id: 'DocumentCustomer',
    description:
      'A CRM contact (written to QuickBooks first if it is not there yet) or a QuickBooks customer.',
  });
export type CustomerRef = z.infer<typeof customerRefSchema>;

const customFieldSchema = z
  .object({
    definitionId: z.string().min(1).max(50).describe('The custom field’s `DefinitionId` in QuickBooks.'),
    type: z.enum(['string', 'number', 'date']),
    value: z.union([z.string().max(1000), z.number()]),
  })
  .strict();
export type CustomFieldValue = z.infer<typeof customFieldSchema>;

const taxSchema = z
  .object({
    code: listRefSchema
      .optional()
      .describe(
        'US companies: the sales tax code for the taxable lines; QuickBooks picks one when left out.',
      ),
    calculation: z
      .enum(['TaxExcluded', 'TaxInclusive', 'NotApplicable'])
      .optional()
      .describe('VAT and GST companies: whether line amounts exclude or include tax (default TaxExcluded).'),
  })
  .strict();

/** The fields every kind has. */
const commonFields = {
  customer: customerRefSchema,
  lines: z.array(lineSchema).min(1).max(250),
  txnDate: isoDate.optional().describe('The document’s date; today in the company’s time zone by default.'),
  docNumber: z
    .string()
    .min(1)
    .max(21)
    .optional()
    .describe('QuickBooks numbers the document itself when left out (unless the company numbers its own).'),
  memo: z.string().max(1000).optional().describe('The message to the customer (`CustomerMemo`).'),
  privateNote: z.string().max(4000).optional(),
  class: listRefSchema.optional(),
  location: listRefSchema.optional().describe('The QuickBooks location (`DepartmentRef`).'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'is an ISO 4217 code such as USD')
    .optional()
    .describe('Must be the customer’s currency; it is by default.'),
  customFields: z.array(customFieldSchema).max(12).optional(),
  billingAddress: addressSchema.optional(),
  shippingAddress: addressSchema.optional(),
  email: z
    .email()
    .max(100)
    .optional()
    .describe('Where QuickBooks sends it (`BillEmail`); the customer’s by default.'),
  discount: discountSchema.optional().describe('Off the whole document, after the lines.'),
  applyTaxAfterDiscount: z.boolean().optional(),
  tax: taxSchema.optional(),
};

const kindFields = {
  estimate: {
    expirationDate: isoDate.optional(),
    status: z.enum(['pending', 'accepted', 'rejected']).optional().describe('The estimate’s `TxnStatus`.'),
    acceptedBy: z.string().max(100).optional(),
    acceptedDate: isoDate.optional(),
  },
  invoice: {
    dueDate: isoDate.optional().describe('By default from the terms.'),
    terms: listRefSchema.optional(),
    allowOnlinePayment: z
      .object({ card: z.boolean().optional(), ach: z.boolean().optional() })
      .strict()
      .optional()
      .describe(
        'Lets the customer pay online, by card or bank transfer: the invoice then has a `paymentLink`.',
      ),
    fromEstimate: z
      .object({ qboId: z.string().regex(/^\d{1,20}$/, 'is a QuickBooks id') })
      .strict()
      .optional()
      .describe(
        'The estimate this invoice is made from: QuickBooks links them (`LinkedTxn`) and closes the estimate.',
      ),
  },
  sales_receipt: {
    paymentMethod: listRefSchema.optional(),
    paymentReference: z
      .string()
      .max(21)
      .optional()
      .describe('The check number or the like (`PaymentRefNum`).'),
  },
} as const;

export const dealIdSchema = z
  .string()
  .min(1)
  .max(200)
  .describe('The CRM’s deal: the idempotency key. One document of each kind per deal.');

/** The fields of a document of one kind, as stored and as a PATCH changes them. */
export function documentFieldsSchema<K extends DocumentKind>(kind: K) {
  return z.object({ ...commonFields, ...kindFields[kind] }).strict();
}

/** Every field any kind has, optional where a kind lacks it: the stored request's type. */
export type DocumentRequest = z.infer<
  z.ZodObject<
    typeof commonFields &
      typeof kindFields.estimate &
      typeof kindFields.invoice &
      typeof kindFields.sales_receipt,
    z.core.$strict
  >
>;
export type DocumentPatch = Partial<DocumentRequest>;

/** A PATCH replaces the fields it names; `lines`, when named, replace all the lines. */
export function patchedRequest(current: DocumentRequest, patch: DocumentPatch): DocumentRequest {
  const merged: Record<string, unknown> = { ...current };
  for (const [field, value] of Object.entries(patch)) if (value !== undefined) merged[field] = value;
  return merged as DocumentRequest;
}
