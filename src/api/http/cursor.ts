import { z } from 'zod';
import { ApiProblem } from './problem';

/**
 * Opaque cursors for lists that grow: the position after the last item returned, as (sort value, _id), so a page
 * never repeats or skips an item when new items arrive.
 */
export interface Position {
  /** The sort value: an ISO time or a string key. */
  at: string;
  id: string;
}

const positionSchema = z.object({ at: z.string(), id: z.string() });

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, field = 'query.cursor'): Position | undefined {
  if (cursor === undefined) return undefined;
  try {
    return positionSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new ApiProblem(400, 'invalid_cursor', 'cursor is not one this API returned', field);
  }
}

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Items per page (1–200).'),
  cursor: z.string().max(500).optional().describe('`nextCursor` from the previous page.'),
};

export function pageOf<T extends Record<string, unknown>>(schema: z.ZodType<T>, id: string) {
  return z
    .object({
      data: z.array(schema),
      nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last.'),
    })
    .meta({ id });
}

/** Takes one item more than the page size to learn whether another page exists. */
export function toPage<T>(
  items: T[],
  limit: number,
  positionOf: (item: T) => Position,
): { data: T[]; nextCursor: string | null } {
  const data = items.slice(0, limit);
  const last = data[data.length - 1];
  return {
    data,
    nextCursor: items.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null,
  };
}
