import { z } from 'zod';
import { productFeed } from '../../products/feed';
import { productSchema } from '../../products/view';
import { decodeCursor, pageOf, pageQuery, toPage } from '../http/cursor';
import type { ApiRoutes } from '../http/route';
import type { ApiServices } from '../services';
import { connectionIdQuery, isoTime } from './schemas';
import { connectionsOfFeed } from './owned';

export function addProductRoutes(routes: ApiRoutes, services: ApiServices): void {
  routes.add({
    method: 'get',
    path: '/v1/products',
    tag: 'Products',
    summary: 'Feed of QuickBooks products and services changed since a time',
    description:
      'Every item (product or service) changed in QuickBooks after `changedSince`, oldest first. After ' +
      '`backfill_completed`, read it from the connection’s start for the whole catalogue; afterwards it is the ' +
      'backstop for missed `product.created` and `product.updated` webhooks.',
    query: z
      .object({
        changedSince: isoTime.describe(
          'Only changes after this ISO 8601 time; `1970-01-01T00:00:00Z` reads every product.',
        ),
        connectionId: connectionIdQuery,
        ...pageQuery,
      })
      .strict(),
    problems: ['invalid_cursor'],
    responses: {
      200: { description: 'A page of changes.', schema: pageOf(productSchema, 'ProductFeedPage') },
    },
    handler: async ({ auth, query }) => {
      const db = await services.db();
      const connections = await connectionsOfFeed(services, auth.accountId, query.connectionId);
      const items = await productFeed(
        db,
        connections.map((connection) => connection._id),
        new Date(query.changedSince),
        decodeCursor(query.cursor),
        query.limit + 1,
      );
      const page = toPage(items, query.limit, (item) => item.position);
      return {
        status: 200,
        body: {
          data: page.data.map(({ position: _position, ...item }) => item),
          nextCursor: page.nextCursor,
        },
      };
    },
  });
}
