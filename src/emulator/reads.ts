import type { Company, QboRecord } from './company';
import { findEntity } from './entities';
import { fault } from './faults';
import { present, type ReadView } from './present';
import { QueryError, executeQuery, parseQuery, type ParsedQuery } from './query';

const systemFields = ['Id', 'SyncToken', 'MetaData', 'domain', 'sparse'];
const cdcLookbackMs = 30 * 24 * 60 * 60 * 1000; // "CDC operations can track changes within the last 30 days."
const cdcMaxObjects = 1000; // "Server responses can handle a maximum of 1,000 objects"

export function readEntity(
  company: Company,
  entityName: string,
  id: string,
  view: ReadView,
): { name: string; record: QboRecord } {
  const definition = findEntity(entityName);
  if (!definition) throw fault.unsupportedOperation(`Unsupported entity: ${entityName}`);
  const record = company.get(definition.name, id);
  if (!record) throw fault.objectNotFound();
  return { name: definition.name, record: present(company, definition.name, record, view) };
}

/** The fields a projection keeps of a row: `*` keeps all but those it omits, named fields come back regardless. */
function project(record: QboRecord, query: ParsedQuery, omittedByStar: readonly string[]): QboRecord {
  const named = new Set(query.fields.map((field) => field.toLowerCase()));
  const keep = (key: string): boolean =>
    named.has(key.toLowerCase()) ||
    (query.allFields ? !omittedByStar.includes(key) : ['Id', 'domain', 'sparse'].includes(key));
  return Object.fromEntries(Object.entries(record).filter(([key]) => keep(key))) as QboRecord;
}

/** Runs a query statement and shapes the `QueryResponse` as QBO does (an empty result is `{}`). */
export function runQuery(company: Company, statement: string, view: ReadView): Record<string, unknown> {
  try {
    const query = parseQuery(statement);
    const definition = findEntity(query.entity);
    if (!definition)
      throw new QueryError('validation', `QueryValidationError: Invalid entity name: ${query.entity}`);
    const known = new Set(
      [...systemFields, ...definition.writable, ...definition.computed].map((field) => field.toLowerCase()),
    );
    for (const field of query.fields) {
      if (!known.has(field.split('.')[0]!.toLowerCase())) {
        throw new QueryError('validation', `QueryValidationError: property '${field}' is not queryable`);
      }
    }
    const result = executeQuery(query, company.all(definition.name), {
      now: company.now(),
      timeZone: company.settings.timeZone,
      activeByDefault: definition.kind === 'name-list',
      knownFields: (path) => known.has(path.split('.')[0]!.toLowerCase()),
    });
    if (query.count) return { totalCount: result.totalCount };
    if (result.rows.length === 0) return {};
    // As in Intuit's Invoice sample: maxResults is the number returned, and totalCount (as in CDC answers) the
    // number matching across all pages. A client still pages by maxResults; only some samples carry totalCount.
    return {
      [definition.name]: result.rows.map((row) =>
        project(present(company, definition.name, row, view), query, definition.omittedByStar ?? []),
      ),
      startPosition: query.startPosition,
      maxResults: result.rows.length,
      totalCount: result.totalCount,
    };
  } catch (error) {
    if (error instanceof QueryError) {
      throw error.kind === 'parse' ? fault.queryParse(error.detail) : fault.queryInvalid(error.detail);
    }
    throw error;
  }
}

/**
 * Change data capture: every object of the listed entities changed since `changedSince`, full payloads, deleted
 * ones as `{ status: "Deleted" }` stubs, at most 1,000 per entity (the oldest changes first, with `totalCount`
 * telling the client it must narrow the window).
 */
export function runCdc(
  company: Company,
  entities: string | undefined,
  changedSince: string | undefined,
  view: ReadView,
): unknown[] {
  if (!entities) throw fault.requiredParam('entities');
  if (!changedSince) throw fault.requiredParam('changedSince');
  const since = Date.parse(changedSince);
  if (Number.isNaN(since)) throw fault.invalidValue('changedSince', `Invalid date: ${changedSince}`);
  if (company.now().getTime() - since > cdcLookbackMs) {
    throw fault.businessValidation('changedSince must be within the last 30 days.', 'changedSince');
  }
  const responses: Record<string, unknown>[] = [];
  for (const name of entities
    .split(',')
    .map((entity) => entity.trim())
    .filter(Boolean)) {
    const definition = findEntity(name);
    if (!definition) throw fault.invalidValue('entities', `Unsupported entity for CDC: ${name}`);
    const { records, deleted } = company.changedSince(definition.name, since);
    const changes: { at: number; object: unknown }[] = [
      ...records.map(({ record, at }) => ({ at, object: present(company, definition.name, record, view) })),
      ...deleted.map(({ id, at }) => ({
        at,
        object: {
          domain: 'QBO',
          status: 'Deleted',
          Id: id,
          MetaData: { LastUpdatedTime: company.timestamp(new Date(at)) },
        },
      })),
    ].sort((a, b) => a.at - b.at);
    if (changes.length === 0) continue;
    const page = changes.slice(0, cdcMaxObjects).map((change) => change.object);
    responses.push({
      [definition.name]: page,
      startPosition: 1,
      maxResults: page.length,
      totalCount: changes.length,
    });
  }
  return [{ QueryResponse: responses.length > 0 ? responses : [{}] }];
}
