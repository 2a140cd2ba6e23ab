import { z } from 'zod';
import { addressParts } from '../../sync/fields';
import { conflictPolicies, directions } from '../../sync/mapping-policy';
import { syncFieldNames } from '../../sync/fields';
import { crmKeyPattern } from '../../sync/custom-fields';
import { maxTransactionHistoryMonths } from '../../sync/transaction-history';

/** Request and response shapes shared by several routes; each is one OpenAPI component. */

const text = (max: number) => z.string().max(max).nullable().optional();

const addressSchema = z
  .object(
    Object.fromEntries(addressParts.map((part) => [part, text(500)])) as Record<
      (typeof addressParts)[number],
      ReturnType<typeof text>
    >,
  )
  .strict()
  .meta({ id: 'Address' });

/** QBO's own limits are checked again before any write; these only stop absurd input at the door. */
export const contactFieldsSchema = z
  .object({
    givenName: text(100),
    middleName: text(100),
    familyName: text(100),
    title: text(16),
    suffix: text(16),
    companyName: text(100),
    displayName: text(500),
    email: text(100),
    phone: text(30),
    mobile: text(30),
    fax: text(30),
    website: text(1000),
    notes: text(4000),
    billingAddress: addressSchema.nullable().optional(),
    shippingAddress: addressSchema.nullable().optional(),
  })
  .strict()
  .meta({ id: 'ContactFields', description: 'The synced fields; null or absent means empty.' });

export const connectionIdQuery = z
  .string()
  .max(100)
  .optional()
  .describe('The connection (QuickBooks company); needed only when the account has several.');

/**
 * A fixed field's name, or a mapped QBO custom field's: `custom.<definitionId>`. One pattern rather than an enum or a
 * pattern: the SDK's type is a string either way, and a union of the two is a redundant type there.
 */
export const fieldNameSchema = z
  .string()
  .regex(
    new RegExp(
      `^(?:${syncFieldNames.map((field) => field.replace('.', '\\.')).join('|')}|custom\\.[A-Za-z0-9_-]{1,64})$`,
    ),
    'a field name, or custom.<definitionId>',
  )
  .describe(
    'A synced field: `givenName` … `shippingAddress.country`, or a mapped custom field `custom.<definitionId>`.',
  );

export const mappingPolicySchema = z.partialRecord(fieldNameSchema, z.enum(directions)).meta({
  id: 'MappingPolicy',
  description:
    'Per-field direction: `both` (default), `qbo-to-crm`, `crm-to-qbo` or `none`. A mapped custom field is named ' +
    '`custom.<definitionId>`.',
});

/** A contact's custom field values, by the CRM keys the connection maps (`settings.customFields`). */
export const customFieldValuesSchema = z
  .record(z.string().regex(crmKeyPattern), z.union([z.string().max(1000), z.number(), z.null()]))
  .meta({
    id: 'ContactCustomFields',
    description:
      'Values of the QuickBooks custom fields mapped to CRM keys (`settings.customFields`): text, a dropdown ' +
      'option, a number, or a `yyyy-MM-dd` date; null clears one. Keys left out keep their values.',
  });

export const conflictPolicySchema = z.partialRecord(fieldNameSchema, z.enum(conflictPolicies)).meta({
  id: 'ConflictPolicy',
  description:
    'Per-field rule for a change made on both sides: `most_recent` (default: the later change wins, QBO within ' +
    'the skew tolerance), `qbo_wins`, `crm_wins`, or `manual` (held for a person in the conflict inbox).',
});

export const isoTime = z.iso.datetime({ offset: true });

export const customFieldMappingSchema = z
  .record(z.string().regex(crmKeyPattern), z.string().regex(/^[A-Za-z0-9_-]{1,64}$/))
  .meta({
    id: 'CustomFieldMapping',
    description:
      'The QuickBooks custom fields synced with CRM contact fields: CRM key → definition id (from ' +
      '`GET /v1/connections/{id}/custom-fields`). Each syncs as `custom.<definitionId>`, with its direction and ' +
      'conflict policy in `mappingPolicy` and `conflictPolicy`. Setting it replaces the whole mapping.',
  });

export const transactionHistorySchema = z
  .union([
    z.literal('all'),
    z
      .object({ months: z.number().int().min(1).max(maxTransactionHistoryMonths) })
      .strict()
      .describe('The last N months, by transaction date, counted back from the company’s today.'),
  ])
  .meta({
    id: 'TransactionHistory',
    description:
      'How far back the backfill reads transactions (invoices, payments, estimates, sales receipts, credit memos, ' +
      'refunds): `"all"` (the default) or `{ "months": N }`. Only the backfill honours it; a later change to an ' +
      'older transaction still arrives.',
  });
