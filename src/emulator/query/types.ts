/** The shapes shared by the query parser and the evaluator. */

export type QueryValue = string | number | boolean;

export type Operator = '=' | '<' | '>' | '<=' | '>=' | 'IN' | 'LIKE';

export interface Condition {
  field: string;
  operator: Operator;
  /** A list for IN; `{ currentDate: true }` for the unquoted `CURRENT_DATE`, resolved when the query runs. */
  value: QueryValue | QueryValue[] | { currentDate: true };
}

export interface OrderBy {
  field: string;
  direction: 'ASC' | 'DESC';
}

export interface ParsedQuery {
  /** As written in the query, e.g. 'cUstomer'; the caller canonicalises. */
  entity: string;
  /** SELECT COUNT(*) */
  count: boolean;
  /**
   * The properties named in the projection: `SELECT *, Sku` adds Sku to everything, `SELECT Id, Name` keeps only
   * those (empty for `SELECT *`).
   */
  fields: string[];
  /** The projection includes `*`. */
  allFields: boolean;
  /** ANDed; QBO has no OR. */
  where: Condition[];
  orderBy: OrderBy[];
  /** 1-based, default 1. */
  startPosition: number;
  /** Default 100, at most 1000. */
  maxResults: number;
}

export interface ExecuteOptions {
  /** The moment CURRENT_DATE is taken from. */
  now: Date;
  /** The company's IANA time zone: it decides CURRENT_DATE and the instant a bare date or an offset-less time means. */
  timeZone?: string;
  /** Name-list entity: hide `Active === false` records unless the query filters on Active. */
  activeByDefault?: boolean;
  /** When given, a WHERE or ORDERBY property it rejects is a validation error. */
  knownFields?: (path: string) => boolean;
}

export interface QueryResult<T> {
  /** The requested page (empty for COUNT queries). */
  rows: T[];
  /** Every match, ignoring STARTPOSITION and MAXRESULTS. */
  totalCount: number;
}
