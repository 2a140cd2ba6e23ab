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

/** What encodeCursor writes, checked again on the way back in: a hand-made cursor is a 400, never a bad query. */
const positionSchema = z.object({
  at: z.union([z.literal(''), z.iso.datetime({ offset: true })]),
  id: z.string().min(1).max(500),
});
const objectIdPattern = /^[0-9a-f]{24}$/;

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** `ids: 'objectId'` for lists whose `_id` is an ObjectId, so the id can be turned back into one. */
export function decodeCursor(
  cursor: string | undefined,
  field = 'query.cursor',
  options: { ids?: 'objectId' } = {},
): Position | undefined {
  if (cursor === undefined) return undefined;
  let position: Position | undefined;
  try {
    position = positionSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    position = undefined;
  }
  if (!position || (options.ids === 'objectId' && !objectIdPattern.test(position.id)))
    throw new ApiProblem(400, 'invalid_cursor', 'cursor is not one this API returned', field);
  return position;
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
