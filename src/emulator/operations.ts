import type { ChangeEvent, Company, QboRecord } from './company';
import { isObject, money } from './entities/fields';
import type { Draft, EntityDefinition, Input, Knock, RuleContext } from './entities/types';
import { fault } from './faults';

/** Fields every entity carries that a request may echo back but never sets. */
const systemFields = new Set(['Id', 'SyncToken', 'MetaData', 'domain', 'sparse', 'status']);

export interface OperationResult {
  record: QboRecord;
  events: ChangeEvent[];
}

/** Who is making the change: an API client (all API rules), or a person in the QBO web app (the admin API). */
export interface Actor {
  asUser?: boolean;
  /** The request carried `include=allowduplicatedocnum`. */
  allowDuplicateDocNumber?: boolean;
}

/** Keeps the writable fields of a request, rejecting those the entity does not have (QBO's 2010 fault). */
function writableFields(definition: EntityDefinition, body: Input): Input {
  const fields: Input = {};
  for (const [key, value] of Object.entries(body)) {
    if (definition.writable.has(key)) fields[key] = value;
    else if (!systemFields.has(key) && !definition.computed.has(key))
      throw fault.unrecognizedField(definition.name, key);
  }
  return fields;
}

function writableOf(definition: EntityDefinition, record: QboRecord): Input {
  return Object.fromEntries(Object.entries(record).filter(([key]) => definition.writable.has(key)));
}

/** Id and SyncToken are strings in QBO, but clients often send numbers. */
function idLike(value: unknown): string | undefined {
  return (typeof value === 'string' && value !== '') || typeof value === 'number' ? String(value) : undefined;
}

function requireIdAndSyncToken(body: Input): { id: string; syncToken: string } {
  const id = idLike(body.Id);
  if (id === undefined) throw fault.requiredParam('Id');
  const syncToken = idLike(body.SyncToken);
  if (syncToken === undefined) throw fault.requiredParam('SyncToken');
  return { id, syncToken };
}

/** The stored record QBO's optimistic concurrency guards: it must exist and the client must hold its SyncToken. */
function currentVersion(
  company: Company,
  definition: EntityDefinition,
  body: Input,
  actor: Actor,
): QboRecord {
  const { id, syncToken } = actor.asUser
    ? { id: idLike(body.Id) ?? '', syncToken: '' }
    : requireIdAndSyncToken(body);
  const current = company.get(definition.name, id);
  if (!current) throw fault.objectNotFound(undefined, 'Id');
  if (!actor.asUser && current.SyncToken !== syncToken) throw fault.staleObject();
  return current;
}

function stamp(
  company: Company,
  id: string,
  draft: Draft,
  before: QboRecord | undefined,
  at: Date,
): QboRecord {
  const { Id: _id, SyncToken: _token, MetaData: _meta, domain: _domain, sparse: _sparse, ...content } = draft;
  return {
    Id: id,
    SyncToken: before ? String(Number(before.SyncToken) + 1) : '0',
    domain: 'QBO',
    sparse: false,
    ...content,
    MetaData: {
      CreateTime: before?.MetaData.CreateTime ?? company.timestamp(at),
      LastUpdatedTime: company.timestamp(at),
    },
  };
}

/** How much a transaction adds to its customer's open balance: what is owed minus what is held as credit. */
function balanceContribution(
  entity: string,
  record: Draft | undefined,
): { customerId?: string; amount: number } {
  if (!record || !isObject(record.CustomerRef)) return { amount: 0 };
  const customerId = String(record.CustomerRef.value);
  const amountOf = (field: string): number => Number(record[field] ?? 0);
  switch (entity) {
    case 'Invoice':
      return { customerId, amount: amountOf('Balance') };
    case 'CreditMemo':
      return { customerId, amount: -amountOf('Balance') };
    case 'Payment':
      return { customerId, amount: -amountOf('UnappliedAmt') };
    default:
      return { customerId, amount: 0 };
  }
}

/** Moves a customer's Balance and the BalanceWithJobs of it and its parents. Not a published change in QBO. */
function adjustCustomerBalance(company: Company, customerId: string, delta: number): void {
  const own = company.get('Customer', customerId);
  if (!own || delta === 0) return;
  company.put('Customer', { ...own, Balance: money(Number(own.Balance ?? 0) + delta) });
  const seen = new Set<string>();
  for (let id: string | undefined = customerId; id !== undefined && !seen.has(id);) {
    seen.add(id);
    const customer = company.get('Customer', id);
    if (!customer) break;
    company.put('Customer', {
      ...customer,
      BalanceWithJobs: money(Number(customer.BalanceWithJobs ?? 0) + delta),
    });
    id = isObject(customer.ParentRef) ? String(customer.ParentRef.value) : undefined;
  }
}

interface PlannedWrite {
  entity: string;
  id: string;
  before: QboRecord | undefined;
  after: QboRecord | undefined;
  touch: boolean;
}

/**
 * Applies one change and everything it knocks on, all or nothing: every rule runs and every new version is built
 * before the first write, so a fault leaves the company exactly as it was.
 */
function commit(
  company: Company,
  definition: EntityDefinition,
  context: RuleContext,
  after: Draft | undefined,
  operation: ChangeEvent['operation'],
): OperationResult {
  const at = company.now();
  const before = context.current;
  const record = after ? stamp(company, context.id, after, before, at) : undefined;
  if (definition.nameField && record) {
    const name = String(record[definition.nameField]);
    const owner = company.nameOwner(definition.name, name);
    if (owner !== undefined && owner !== context.id) throw fault.duplicateName();
  }
  const docNumberScope = `${definition.name}#DocNumber`;
  if (
    definition.uniqueDocNumber &&
    record &&
    typeof record.DocNumber === 'string' &&
    !context.allowDuplicateDocNumber
  ) {
    const owner = company.nameOwner(docNumberScope, record.DocNumber);
    if (owner !== undefined && owner !== context.id) throw fault.duplicateDocNumber(record.DocNumber);
  }
  const knocks: Knock[] = definition.knocks?.(before, record, context) ?? [];
  const writes: PlannedWrite[] = [
    { entity: definition.name, id: context.id, before, after: record, touch: true },
  ];
  for (const knock of knocks) {
    // Several knocks may land on one record (a common ancestor of a customer's old and new parent): stack them.
    const planned = writes.find((write) => write.entity === knock.entity && write.id === knock.id);
    const target = planned?.after ?? company.get(knock.entity, knock.id);
    if (!target) continue;
    const draft = knock.apply(target);
    if (planned) {
      planned.after = { ...target, ...draft };
      planned.touch ||= knock.touch;
      continue;
    }
    const next = knock.touch ? stamp(company, knock.id, draft, target, at) : { ...target, ...draft };
    writes.push({ entity: knock.entity, id: knock.id, before: target, after: next, touch: knock.touch });
  }

  // Nothing below can fail.
  const events: ChangeEvent[] = [];
  for (const write of writes) {
    if (write.after) company.put(write.entity, write.after, write.touch ? at : undefined);
    else company.remove(write.entity, write.id, at);
    const was = balanceContribution(write.entity, write.before);
    const now = balanceContribution(write.entity, write.after);
    if (was.customerId) adjustCustomerBalance(company, was.customerId, -was.amount);
    if (now.customerId) adjustCustomerBalance(company, now.customerId, now.amount);
    if (write.touch) {
      const op = write === writes[0] ? operation : 'Update';
      events.push({ realmId: company.realmId, entity: write.entity, id: write.id, operation: op, at });
    }
  }
  if (definition.nameField) {
    if (before) company.releaseName(definition.name, String(before[definition.nameField]));
    if (record) company.claimName(definition.name, String(record[definition.nameField]), context.id);
  }
  if (definition.uniqueDocNumber) {
    if (typeof before?.DocNumber === 'string') company.releaseName(docNumberScope, before.DocNumber);
    if (typeof record?.DocNumber === 'string')
      company.claimName(docNumberScope, record.DocNumber, context.id);
  }
  if (record) definition.afterCommit?.(record, context);
  return { record: record ?? before!, events };
}

export function createEntity(
  company: Company,
  definition: EntityDefinition,
  body: Input,
  actor: Actor = {},
): OperationResult {
  if (!definition.canCreate)
    throw fault.unsupportedOperation(`Operation Create is not supported for ${definition.name}.`);
  const fields = writableFields(definition, body);
  const context: RuleContext = { company, id: '', ...actor };
  const draft = definition.build(fields, context);
  context.id = company.allocateId(definition.name);
  return commit(company, definition, context, draft, 'Create');
}

/** A full update replaces every writable field (omitted ones become null); a sparse one changes only those sent. */
export function updateEntity(
  company: Company,
  definition: EntityDefinition,
  body: Input,
  options: { sparse: boolean } & Actor,
): OperationResult {
  const current = currentVersion(company, definition, body, options);
  const sent = writableFields(definition, body);
  const fields = options.sparse || options.asUser ? { ...writableOf(definition, current), ...sent } : sent;
  const context: RuleContext = { company, id: current.Id, current, ...options };
  return commit(company, definition, context, definition.build(fields, context), 'Update');
}

export function deleteEntity(
  company: Company,
  definition: EntityDefinition,
  body: Input,
  actor: Actor = {},
): OperationResult {
  if (!definition.canDelete)
    throw fault.unsupportedOperation(`Operation Delete is not supported for ${definition.name}.`);
  const current = currentVersion(company, definition, body, actor);
  const context: RuleContext = { company, id: current.Id, current, ...actor };
  definition.checkRemove?.(current, context);
  return commit(company, definition, context, undefined, 'Delete');
}

export function voidEntity(
  company: Company,
  definition: EntityDefinition,
  body: Input,
  actor: Actor = {},
): OperationResult {
  if (!definition.canVoid || !definition.voided) {
    throw fault.unsupportedOperation(`Operation Void is not supported for ${definition.name}.`);
  }
  const current = currentVersion(company, definition, body, actor);
  const context: RuleContext = { company, id: current.Id, current, ...actor };
  if (definition.name !== 'Payment') definition.checkRemove?.(current, context);
  return commit(company, definition, context, definition.voided(current, context), 'Void');
}

/**
 * A change QBO makes to a record on its own account, not from a client's body (sending it by email): no SyncToken
 * is needed, the rules do not run again, and it is stored and published as `operation`.
 */
export function reviseEntity(
  company: Company,
  definition: EntityDefinition,
  id: string,
  revise: (record: QboRecord) => Draft,
  operation: ChangeEvent['operation'],
): OperationResult {
  const current = company.get(definition.name, id);
  if (!current) throw fault.objectNotFound();
  const context: RuleContext = { company, id, current };
  return commit(company, definition, context, revise(current), operation);
}
