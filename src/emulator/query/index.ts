/** The QBO query language (`SELECT * FROM Customer WHERE ...`) for the emulator: parse once, run over records. */
export { QueryError } from './errors';
export { executeQuery } from './execute';
export { parseQuery } from './parser';
export type {
  Condition,
  ExecuteOptions,
  Operator,
  OrderBy,
  ParsedQuery,
  QueryResult,
  QueryValue,
} from './types';
