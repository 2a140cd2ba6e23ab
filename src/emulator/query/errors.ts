/**
 * A query the real service would answer with HTTP 400: `parse` maps to fault code 4000 ("Error parsing query"),
 * `validation` to 4001 ("Invalid query"). `detail` is the text for the fault's Detail field.
 */
export class QueryError extends Error {
  constructor(
    readonly kind: 'parse' | 'validation',
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'QueryError';
  }
}

export function parseError(message: string): QueryError {
  return new QueryError('parse', `QueryParserError: ${message}`);
}

export function validationError(message: string): QueryError {
  return new QueryError('validation', `QueryValidationError: ${message}`);
}
