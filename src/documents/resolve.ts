import type { Connection } from 'mongoose';
import { contactKey } from '../contacts/model';
import { readContactRecord } from '../contacts/store';
import type { ConnectionSettings } from '../db/models/connection';
import { itemKey, qboItemModel } from '../projections/models';
import { QboApiError, type QboClient } from '../qbo';
import {
  describeReference,
  lookUpProduct,
  skuMatchKey,
  type CatalogueEntry,
  type ProductReference,
} from '../sync/product-mapping';
import { nameMatchKey } from '../sync/matching';
import type { CustomerRef, ProductRef } from './request';
import type { DocumentProblem, LineProduct } from './validate';

/**
 * What a document's references name in QuickBooks: each line's product (in the connection's catalogue, qbo_items,
 * with the missing-product policy applied) and the customer (a CRM contact is written to QBO first when it is not
 * linked yet). What cannot be resolved becomes a problem naming the field, for the 422.
 */

export function productReference(ref: ProductRef): ProductReference {
  if ('qboItemId' in ref) return { qboId: ref.qboItemId };
  return 'sku' in ref ? { sku: ref.sku } : { name: ref.name };
}

async function candidatesFor(
  db: Connection,
  connectionId: string,
  reference: ProductReference,
): Promise<CatalogueEntry[]> {
  const filter =
    'qboId' in reference
      ? { _id: itemKey(connectionId, reference.qboId) }
      : 'sku' in reference
        ? { connectionId, 'match.sku': skuMatchKey(reference.sku) }
        : { connectionId, 'match.name': nameMatchKey(reference.name) };
  const rows = await qboItemModel(db).find(filter, { qboId: 1, product: 1 }).lean();
  return rows.map((row) => ({ qboId: row.qboId, product: row.product }));
}

function asItem(entry: CatalogueEntry, standingInFor?: ProductReference): LineProduct {
  return {
    kind: 'item',
    qboItemId: entry.qboId,
    name: entry.product.name,
    unitPrice: entry.product.unitPrice,
    taxable: entry.product.taxable,
    salesTaxCodeId: entry.product.salesTaxCode?.id ?? null,
    ...(standingInFor ? { standingInFor } : {}),
  };
}

/** Each line's product, in order; a product QBO does not have is handled as the connection's policy says. */
export async function resolveProducts(
  db: Connection,
  connectionId: string,
  refs: readonly ProductRef[],
  settings: Pick<ConnectionSettings, 'missingProductPolicy' | 'defaultItemId'>,
): Promise<LineProduct[]> {
  return Promise.all(
    refs.map(async (ref): Promise<LineProduct> => {
      const reference = productReference(ref);
      const lookup = lookUpProduct(reference, await candidatesFor(db, connectionId, reference));
      const described = describeReference(reference);
      if (lookup.kind === 'found') return asItem(lookup.entry);
      if (lookup.kind === 'ambiguous')
        return {
          kind: 'problem',
          code: 'product_ambiguous',
          message: `${described} names ${lookup.qboIds.length} QuickBooks items (${lookup.qboIds.join(', ')}); name one by qboItemId`,
        };
      if (lookup.kind === 'unsellable')
        return {
          kind: 'problem',
          code: 'product_unavailable',
          message: `${described} cannot be sold: ${lookup.reason}`,
        };
      return missingProduct(db, connectionId, reference, settings);
    }),
  );
}

async function missingProduct(
  db: Connection,
  connectionId: string,
  reference: ProductReference,
  settings: Pick<ConnectionSettings, 'missingProductPolicy' | 'defaultItemId'>,
): Promise<LineProduct> {
  const described = describeReference(reference);
  const policy = settings.missingProductPolicy;
  if (policy === 'default_item' && settings.defaultItemId !== null) {
    const fallback = lookUpProduct(
      { qboId: settings.defaultItemId },
      await candidatesFor(db, connectionId, { qboId: settings.defaultItemId }),
    );
    if (fallback.kind === 'found') return asItem(fallback.entry, reference);
    return {
      kind: 'problem',
      code: 'product_not_found',
      message:
        `QuickBooks has no ${described}, and the connection's default item ${settings.defaultItemId} cannot be ` +
        'sold either; pick another (PATCH /v1/connections/{id}, defaultItemId)',
    };
  }
  if (policy === 'create_item' && !('qboId' in reference))
    return 'sku' in reference
      ? { kind: 'to_create', name: reference.sku, sku: reference.sku }
      : { kind: 'to_create', name: reference.name, sku: null };
  return {
    kind: 'problem',
    code: 'product_not_found',
    message:
      `QuickBooks has no ${described} (the products feed lists what it has); the connection's missing-product ` +
      `policy is ${policy === 'create_item' ? 'create_item, which cannot create an item named by id' : policy}` +
      (policy === 'default_item' ? ' without a defaultItemId' : ''),
  };
}

export type CustomerResolution =
  | { ok: true; qboCustomerId: string; currency: string; email: string | null }
  | { ok: false; problem: DocumentProblem };

const customerField = (ref: CustomerRef): string =>
  'crmContactId' in ref ? 'body.customer.crmContactId' : 'body.customer.qboCustomerId';

/**
 * The QBO customer the document is for, read from QBO for its currency and email. A CRM contact not yet linked is
 * written to QBO first by `pushContact` (the sync engine's own push, so the customer is the one the contact syncs
 * with, and its create is idempotent like any other).
 */
export async function resolveCustomer(
  db: Connection,
  client: QboClient,
  connection: { _id: string; homeCurrency?: string },
  ref: CustomerRef,
  pushContact: (crmContactId: string) => Promise<void>,
): Promise<CustomerResolution> {
  const field = customerField(ref);
  let qboCustomerId: string;
  if ('crmContactId' in ref) {
    const key = contactKey(connection._id, ref.crmContactId);
    let contact = await readContactRecord(db, key);
    if (!contact || contact.crm.deletedAt)
      return {
        ok: false,
        problem: {
          code: 'customer_not_found',
          field,
          message: `no CRM contact ${ref.crmContactId} on this connection: PUT /v1/contacts/${ref.crmContactId} first`,
        },
      };
    if (!contact.link || contact.link.deletedAt) {
      await pushContact(ref.crmContactId);
      contact = await readContactRecord(db, key);
    }
    if (!contact?.link || contact.link.deletedAt)
      return {
        ok: false,
        problem: {
          code: 'customer_not_synced',
          field,
          message:
            `CRM contact ${ref.crmContactId} could not be written to QuickBooks as a customer ` +
            `(GET /v1/contacts/${ref.crmContactId} says why)`,
        },
      };
    qboCustomerId = contact.link.qboCustomerId;
  } else qboCustomerId = ref.qboCustomerId;

  try {
    const customer = await client.read('Customer', qboCustomerId);
    if (customer.Active === false)
      return {
        ok: false,
        problem: {
          code: 'customer_not_found',
          field,
          message: `QuickBooks customer ${qboCustomerId} is inactive`,
        },
      };
    return {
      ok: true,
      qboCustomerId,
      currency: customer.CurrencyRef?.value ?? connection.homeCurrency ?? 'USD',
      email: customer.PrimaryEmailAddr?.Address ?? null,
    };
  } catch (error) {
    if (error instanceof QboApiError && error.kind === 'not-found')
      return {
        ok: false,
        problem: {
          code: 'customer_not_found',
          field,
          message: `QuickBooks has no customer ${qboCustomerId}`,
        },
      };
    throw error;
  }
}
