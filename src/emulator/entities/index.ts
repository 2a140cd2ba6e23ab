import { accountEntity } from './accounts';
import { companyInfoEntity, preferencesEntity } from './company-info';
import { companyCurrencyEntity } from './currency';
import { customerEntity } from './customer';
import { classEntity, departmentEntity, itemEntity, paymentMethodEntity, termEntity } from './name-lists';
import { paymentEntity } from './payment';
import {
  creditMemoEntity,
  estimateEntity,
  invoiceEntity,
  refundReceiptEntity,
  salesReceiptEntity,
} from './sales-forms';
import { taxAgencyEntity, taxCodeEntity, taxRateEntity } from './tax';
import type { EntityDefinition } from './types';

export const entityDefinitions: EntityDefinition[] = [
  customerEntity,
  invoiceEntity,
  paymentEntity,
  estimateEntity,
  salesReceiptEntity,
  creditMemoEntity,
  refundReceiptEntity,
  termEntity,
  paymentMethodEntity,
  itemEntity,
  accountEntity,
  classEntity,
  departmentEntity,
  taxAgencyEntity,
  taxRateEntity,
  taxCodeEntity,
  companyCurrencyEntity,
  companyInfoEntity,
  preferencesEntity,
];

const byLowerName = new Map(
  entityDefinitions.map((definition) => [definition.name.toLowerCase(), definition]),
);

/** Looks an entity up by URL segment or query name; QBO accepts either case in both. */
export function findEntity(name: string): EntityDefinition | undefined {
  return byLowerName.get(name.toLowerCase());
}

export type { EntityDefinition } from './types';
