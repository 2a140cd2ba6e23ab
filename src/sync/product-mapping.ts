import type { NamedRef } from './customer-mapping';
import { nameMatchKey } from './matching';

/**
 * QBO's products and services (Items) as the CRM sees them: what a product is, and how a line of a CRM document
 * finds one (by QBO id, by SKU, by name). Pure.
 */

/** The kinds of item a sales line may carry. Category and Group items exist in QBO but are not sold as such. */
export const sellableItemTypes = ['Service', 'NonInventory', 'Inventory'] as const;
export type SellableItemType = (typeof sellableItemTypes)[number];

interface QboRef {
  value?: string;
  name?: string;
}

/** The parts of a QBO Item the product view reads. */
export interface QboItem {
  Id: string;
  SyncToken?: string;
  Name?: string;
  Sku?: string;
  Description?: string;
  Type?: string;
  UnitPrice?: number;
  Taxable?: boolean;
  Active?: boolean;
  IncomeAccountRef?: QboRef;
  SalesTaxCodeRef?: QboRef;
  MetaData?: { LastUpdatedTime?: string };
}

export interface Product {
  name: string;
  sku: string | null;
  description: string | null;
  /** Service, NonInventory, Inventory, or what else QBO says (Category, Group). */
  type: string;
  unitPrice: number | null;
  incomeAccount: NamedRef | null;
  /** US companies: whether sales of it are taxable (lines get TAX). */
  taxable: boolean;
  /** VAT and GST companies: the code its sales lines take unless a line names another. */
  salesTaxCode: NamedRef | null;
  active: boolean;
}

function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

function namedRef(ref: QboRef | undefined): NamedRef | null {
  const id = text(ref?.value);
  return id === null ? null : { id, name: text(ref?.name) };
}

export function itemToProduct(item: QboItem): Product {
  return {
    name: text(item.Name) ?? '',
    sku: text(item.Sku),
    description: text(item.Description),
    type: text(item.Type) ?? 'Service',
    unitPrice:
      typeof item.UnitPrice === 'number' && Number.isFinite(item.UnitPrice)
        ? roundPrice(item.UnitPrice)
        : null,
    incomeAccount: namedRef(item.IncomeAccountRef),
    taxable: item.Taxable === true,
    salesTaxCode: namedRef(item.SalesTaxCodeRef),
    active: item.Active !== false,
  };
}

/** Unit prices may carry more decimals than money does; seven is QBO's precision for them. */
export function roundPrice(value: number): number {
  return Math.round(value * 1e7) / 1e7;
}

/** A SKU as matched: trimmed and case-folded ("rf-275 " finds "RF-275"). */
export function skuMatchKey(sku: string | null | undefined): string | null {
  const tidy = text(sku);
  return tidy === null ? null : tidy.normalize('NFKC').toLowerCase();
}

/** What an item is found by: its SKU and its folded name (the same folding as customer names). */
export function productMatchKeys(product: Pick<Product, 'sku' | 'name'>): {
  sku: string | null;
  name: string | null;
} {
  return { sku: skuMatchKey(product.sku), name: nameMatchKey(product.name) };
}

/** How a document line names its product: QBO's id, the SKU, or the name. */
export type ProductReference = { qboId: string } | { sku: string } | { name: string };

export interface CatalogueEntry {
  qboId: string;
  product: Product;
}

export type ProductLookup =
  | { kind: 'found'; entry: CatalogueEntry }
  | { kind: 'missing' }
  | { kind: 'ambiguous'; qboIds: string[] }
  | { kind: 'unsellable'; entry: CatalogueEntry; reason: string };

/**
 * Finds a line's product among candidates (the items sharing its id, SKU or name key). Inactive items and
 * categories cannot be sold; a SKU or name two sellable items share is never guessed at.
 */
export function lookUpProduct(
  reference: ProductReference,
  candidates: readonly CatalogueEntry[],
): ProductLookup {
  const matches = candidates.filter((entry) => {
    if ('qboId' in reference) return entry.qboId === reference.qboId;
    if ('sku' in reference) return skuMatchKey(entry.product.sku) === skuMatchKey(reference.sku);
    return nameMatchKey(entry.product.name) === nameMatchKey(reference.name);
  });
  const sellable = matches.filter((entry) => unsellableReason(entry.product) === null);
  if (sellable.length === 1) return { kind: 'found', entry: sellable[0]! };
  if (sellable.length > 1) return { kind: 'ambiguous', qboIds: sellable.map((entry) => entry.qboId).sort() };
  const [first] = matches;
  return first
    ? { kind: 'unsellable', entry: first, reason: unsellableReason(first.product)! }
    : { kind: 'missing' };
}

function unsellableReason(product: Product): string | null {
  if (!product.active) return 'it is inactive in QuickBooks';
  if (!(sellableItemTypes as readonly string[]).includes(product.type))
    return `it is a ${product.type} item, which cannot be sold on a line`;
  return null;
}

/** The reference as a person reads it, for messages: `SKU "RF-275"`. */
export function describeReference(reference: ProductReference): string {
  if ('qboId' in reference) return `QuickBooks item ${reference.qboId}`;
  if ('sku' in reference) return `SKU "${reference.sku}"`;
  return `"${reference.name}"`;
}
