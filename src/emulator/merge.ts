import type { ChangeEvent, Company } from './company';
import { findEntity } from './entities';
import { isObject } from './entities/fields';
import { fault } from './faults';
import { updateEntity } from './operations';

/** Entities whose `CustomerRef` moves to the surviving customer of a merge. */
const customerTransactions = [
  'Invoice',
  'Payment',
  'Estimate',
  'SalesReceipt',
  'CreditMemo',
  'RefundReceipt',
];

/**
 * Merges one customer into another as a person does in the QBO web app (the API has no merge): every transaction of
 * the merged-away customer moves to the survivor, which takes over its balance, and the merged-away customer is
 * made inactive under a "(deleted)" name. Published as Intuit does: `Merge` on the survivor with `deletedId`, plus
 * an Update for each moved transaction.
 */
export function mergeCustomers(company: Company, fromId: string, intoId: string): ChangeEvent[] {
  const customer = findEntity('Customer')!;
  const from = company.get('Customer', fromId);
  const into = company.get('Customer', intoId);
  if (!from || !into) throw fault.objectNotFound(undefined, from ? 'intoId' : 'fromId');
  if (fromId === intoId) throw fault.businessValidation('A customer cannot be merged into itself.', 'intoId');
  if (into.Active === false) throw fault.objectNotFound(undefined, 'intoId');
  const currencyOf = (record: typeof from): unknown =>
    isObject(record.CurrencyRef) ? record.CurrencyRef.value : undefined;
  if (currencyOf(from) !== currencyOf(into)) {
    throw fault.businessValidation('Customers with different currencies cannot be merged.', 'intoId');
  }
  for (const candidate of company.all('Customer')) {
    if (isObject(candidate.ParentRef) && candidate.ParentRef.value === fromId) {
      throw fault.businessValidation('Move or merge the sub-customers first.', 'fromId');
    }
  }

  const events: ChangeEvent[] = [];
  for (const entity of customerTransactions) {
    const definition = findEntity(entity)!;
    const owned = [...company.all(entity)].filter(
      (record) => isObject(record.CustomerRef) && record.CustomerRef.value === fromId,
    );
    for (const record of owned) {
      const moved = updateEntity(
        company,
        definition,
        { Id: record.Id, CustomerRef: { value: intoId } },
        { sparse: true, asUser: true },
      );
      events.push(...moved.events);
    }
  }
  updateEntity(
    company,
    customer,
    { Id: fromId, Active: false, DisplayName: `${String(from.DisplayName)} (deleted)` },
    { sparse: true, asUser: true },
  );
  events.push({
    realmId: company.realmId,
    entity: 'Customer',
    id: intoId,
    operation: 'Merge',
    at: company.now(),
    deletedId: fromId,
  });
  return events;
}
