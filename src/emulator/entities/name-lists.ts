import { fault } from '../faults';
import {
  compact,
  money,
  optionalBoolean,
  optionalEnum,
  optionalNumber,
  optionalRef,
  optionalString,
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

/** Just enough of Item for transaction lines: a name, a type and a price. */
export const itemEntity: EntityDefinition = {
  ...nameListBasics,
  name: 'Item',
  writable: new Set([
    'Name',
    'Type',
    'Description',
    'UnitPrice',
    'Sku',
    'Taxable',
    'IncomeAccountRef',
    'Active',
    'PurchaseCost',
  ]),
  computed: new Set(['FullyQualifiedName', 'Level']),
  build(fields) {
    const name = requiredName(fields, 100);
    if (name.includes(':')) throw fault.businessValidation('Name must not contain a colon.', 'Name');
    return compact({
      Name: name,
      FullyQualifiedName: name,
      Type:
        optionalEnum(fields, 'Type', [
          'Service',
          'NonInventory',
          'Inventory',
          'Group',
          'Category',
        ] as const) ?? 'Service',
      Description: optionalString(fields, 'Description', 4000),
      UnitPrice: money(optionalNumber(fields, 'UnitPrice') ?? 0),
      Sku: optionalString(fields, 'Sku', 100),
      Taxable: optionalBoolean(fields, 'Taxable') ?? false,
      IncomeAccountRef: optionalRef(fields, 'IncomeAccountRef') ?? { value: '1', name: 'Services' },
      Active: optionalBoolean(fields, 'Active') ?? true,
    });
  },
};
