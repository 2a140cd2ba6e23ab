import { fault } from '../faults';
import { starterAccountIds } from './accounts';
import {
  compact,
  money,
  optionalBoolean,
  optionalDate,
  optionalEnum,
  optionalListRef,
  optionalNumber,
  optionalRef,
  optionalString,
  refTo,
  resolveRef,
} from './fields';
import type { EntityDefinition } from './types';

function requiredName(fields: Record<string, unknown>, max: number): string {
  const name = optionalString(fields, 'Name', max)?.trim();
  if (!name) throw fault.requiredParam('Name');
  return name;
}

const nameListBasics = {
  kind: 'name-list',
  nameField: 'Name',
  canCreate: true,
  canDelete: false,
  canVoid: false,
} as const;

/** Payment terms: STANDARD when DueDays is set, otherwise DATE_DRIVEN. Deleted by making them inactive. */
export const termEntity: EntityDefinition = {
  ...nameListBasics,
  name: 'Term',
  writable: new Set([
    'Name',
    'Type',
    'DueDays',
    'DiscountDays',
    'DiscountPercent',
    'DayOfMonthDue',
    'DueNextMonthDays',
    'DiscountDayOfMonth',
    'Active',
  ]),
  computed: new Set([]),
  build(fields) {
    const dueDays = optionalNumber(fields, 'DueDays');
    const dayOfMonthDue = optionalNumber(fields, 'DayOfMonthDue');
    if (dueDays === undefined && dayOfMonthDue === undefined) throw fault.requiredParam('DueDays');
    return compact({
      Name: requiredName(fields, 31),
      Type: dueDays !== undefined ? 'STANDARD' : 'DATE_DRIVEN',
      DueDays: dueDays,
      DayOfMonthDue: dayOfMonthDue,
      DueNextMonthDays: optionalNumber(fields, 'DueNextMonthDays'),
      DiscountDayOfMonth: optionalNumber(fields, 'DiscountDayOfMonth'),
      DiscountPercent: optionalNumber(fields, 'DiscountPercent') ?? 0,
      DiscountDays: optionalNumber(fields, 'DiscountDays') ?? 0,
      Active: optionalBoolean(fields, 'Active') ?? true,
    });
  },
};

export const paymentMethodEntity: EntityDefinition = {
  ...nameListBasics,
  name: 'PaymentMethod',
  writable: new Set(['Name', 'Type', 'Active']),
  computed: new Set([]),
  build(fields) {
    return {
      Name: requiredName(fields, 31),
      Type: optionalEnum(fields, 'Type', ['CREDIT_CARD', 'NON_CREDIT_CARD'] as const) ?? 'NON_CREDIT_CARD',
      Active: optionalBoolean(fields, 'Active') ?? true,
    };
  },
};

/** Class and Department: a name, an optional parent, and the FullyQualifiedName and flag that follow from it. */
function hierarchicalList(
  name: 'Class' | 'Department',
  subFlag: 'SubClass' | 'SubDepartment',
): EntityDefinition {
  return {
    ...nameListBasics,
    name,
    writable: new Set(['Name', 'ParentRef', 'Active', subFlag]),
    computed: new Set(['FullyQualifiedName']),
    build(fields, { company, current }) {
      const listName = requiredName(fields, 100);
      if (listName.includes(':')) throw fault.businessValidation('Name must not contain a colon.', 'Name');
      const parentRef = optionalRef(fields, 'ParentRef');
      const parent = parentRef ? resolveRef(company, name, parentRef, 'ParentRef') : undefined;
      if (parent && current && String(parent.FullyQualifiedName).split(':').includes(String(current.Name))) {
        throw fault.businessValidation(`A ${name} cannot be its own parent.`, 'ParentRef');
      }
      return compact({
        Name: listName,
        FullyQualifiedName: parent ? `${String(parent.FullyQualifiedName)}:${listName}` : listName,
        [subFlag]: parent !== undefined,
        ParentRef: parent ? refTo(parent, 'FullyQualifiedName') : undefined,
        Active: optionalBoolean(fields, 'Active') ?? true,
      });
    },
  };
}

export const classEntity = hierarchicalList('Class', 'SubClass');
export const departmentEntity = hierarchicalList('Department', 'SubDepartment');

const itemTypes = ['Service', 'NonInventory', 'Inventory', 'Group', 'Category'] as const;

/**
 * Products and services. Inventory items need their three accounts, a start date and a quantity on hand, and stay
 * inventory items; a sale posts to the income account (the "Services" account unless the request names one).
 */
export const itemEntity: EntityDefinition = {
  ...nameListBasics,
  name: 'Item',
  // python-quickbooks 0.9.12 asks `SELECT *, Sku FROM Item` because "the API doesn't retrieve that by default".
  omittedByStar: ['Sku'],
  writable: new Set([
    'Name',
    'Type',
    'Description',
    'PurchaseDesc',
    'UnitPrice',
    'PurchaseCost',
    'Sku',
    'Taxable',
    'SalesTaxIncluded',
    'PurchaseTaxIncluded',
    'SalesTaxCodeRef',
    'PurchaseTaxCodeRef',
    'IncomeAccountRef',
    'ExpenseAccountRef',
    'AssetAccountRef',
    'TrackQtyOnHand',
    'QtyOnHand',
    'InvStartDate',
    'ReorderPoint',
    'SubItem',
    'ParentRef',
    'PrefVendorRef',
    'ClassRef',
    'TaxClassificationRef',
    'AbatementRate',
    'ReverseChargeRate',
    'ServiceType',
    'ItemCategoryType',
    'Active',
  ]),
  computed: new Set(['FullyQualifiedName', 'Level', 'Source']),
  build(fields, { company, current }) {
    const name = requiredName(fields, 100);
    if (name.includes(':')) throw fault.businessValidation('Name must not contain a colon.', 'Name');
    const type = optionalEnum(fields, 'Type', itemTypes) ?? 'Service';
    if (current?.Type === 'Inventory' && type !== 'Inventory') {
      // "After creating an item, you cannot change its type from Inventory to another type."
      throw fault.businessValidation('You cannot change the type of an inventory item.', 'Type');
    }
    const inventory = type === 'Inventory';
    const income = optionalListRef(company, fields, 'IncomeAccountRef', 'Account');
    const expense = optionalListRef(company, fields, 'ExpenseAccountRef', 'Account');
    const asset = optionalListRef(company, fields, 'AssetAccountRef', 'Account');
    const qtyOnHand = optionalNumber(fields, 'QtyOnHand');
    const invStartDate = optionalDate(fields, 'InvStartDate');
    if (inventory) {
      // "The AssetAccountRef, InvStartDate, QtyOnHand, ExpenseAccountRef, and IncomeAccountRef attributes are
      // required for Inventory item types."
      const missing = (
        [
          ['IncomeAccountRef', income],
          ['ExpenseAccountRef', expense],
          ['AssetAccountRef', asset],
          ['InvStartDate', invStartDate],
          ['QtyOnHand', qtyOnHand],
        ] as const
      ).find(([, value]) => value === undefined);
      if (missing) throw fault.requiredParam(missing[0]);
    }
    const parentRef = optionalRef(fields, 'ParentRef');
    // "ParentRef … Required if SubItem is true."
    if (optionalBoolean(fields, 'SubItem') === true && !parentRef) throw fault.requiredParam('ParentRef');
    const parent = parentRef ? resolveRef(company, 'Item', parentRef, 'ParentRef') : undefined;
    const sells = type !== 'Category' && type !== 'Group';
    return compact({
      Name: name,
      FullyQualifiedName: parent ? `${String(parent.FullyQualifiedName)}:${name}` : name,
      Type: type,
      Sku: optionalString(fields, 'Sku', 100),
      Description: optionalString(fields, 'Description', 4000),
      PurchaseDesc: optionalString(fields, 'PurchaseDesc', 1000),
      UnitPrice: sells ? money(optionalNumber(fields, 'UnitPrice') ?? 0) : undefined,
      PurchaseCost: optionalNumber(fields, 'PurchaseCost'),
      Taxable: sells ? (optionalBoolean(fields, 'Taxable') ?? false) : undefined,
      SalesTaxIncluded: optionalBoolean(fields, 'SalesTaxIncluded'),
      PurchaseTaxIncluded: optionalBoolean(fields, 'PurchaseTaxIncluded'),
      SalesTaxCodeRef: optionalListRef(company, fields, 'SalesTaxCodeRef', 'TaxCode'),
      PurchaseTaxCodeRef: optionalListRef(company, fields, 'PurchaseTaxCodeRef', 'TaxCode'),
      IncomeAccountRef: sells
        ? (income ?? refTo(company.get('Account', starterAccountIds.services)!, 'Name'))
        : undefined,
      ExpenseAccountRef: expense,
      AssetAccountRef: inventory ? asset : undefined,
      TrackQtyOnHand: sells ? inventory : undefined,
      QtyOnHand: inventory ? qtyOnHand : undefined,
      InvStartDate: inventory ? invStartDate : undefined,
      ReorderPoint: inventory ? optionalNumber(fields, 'ReorderPoint') : undefined,
      SubItem: parent !== undefined,
      ParentRef: parent ? refTo(parent, 'FullyQualifiedName') : undefined,
      Level: parent ? Number(parent.Level ?? 0) + 1 : 0,
      ClassRef: optionalListRef(company, fields, 'ClassRef', 'Class', 'FullyQualifiedName'),
      Active: optionalBoolean(fields, 'Active') ?? true,
    });
  },
};
