import { z } from 'zod';
import { QboAccess } from '../../activities/qbo-access';
import { refreshCustomFieldDefinitions, type StoredDefinitions } from '../../connections/custom-fields';
import { settingsOf, type ConnectionRecord } from '../../db/models/connection';
import { customFieldTypes } from '../../sync/custom-fields';
import { customFieldName } from '../../sync/fields';
import type { ApiRoutes } from '../http/route';
import type { ApiServices } from '../services';
import { ownedConnection } from './owned';

const customFieldsSchema = z
  .object({
    definitions: z
      .array(
        z.object({
          id: z.string().describe('The definition’s id (QuickBooks `legacyIDV2`, a value’s `DefinitionId`).'),
          field: z.string().describe('Its name in `mappingPolicy`, `conflictPolicy` and sync events.'),
          label: z.string(),
          type: z.enum(customFieldTypes),
          options: z.array(z.string()).describe('A dropdown’s options; empty for other types.'),
          crmKey: z
            .string()
            .nullable()
            .describe('The CRM key mapped to it in `settings.customFields`, if any.'),
        }),
      )
      .describe('The company’s active custom fields on customers.'),
    refreshedAt: z.string().nullable().describe('When they were last read; null when never.'),
    problem: z.string().nullable().describe('Why the last read failed; the definitions before it are kept.'),
  })
  .meta({ id: 'CustomFields' });

const idParams = z.object({ id: z.string().max(100) }).strict();

function customFieldsJson(
  connection: Pick<ConnectionRecord, 'settings'>,
  stored: StoredDefinitions | undefined,
): z.infer<typeof customFieldsSchema> {
  const mapping = Object.entries(settingsOf(connection).customFields);
  return {
    definitions: (stored?.definitions ?? []).map((definition) => ({
      ...definition,
      field: customFieldName(definition.id),
      crmKey: mapping.find(([, definitionId]) => definitionId === definition.id)?.[0] ?? null,
    })),
    refreshedAt: stored?.refreshedAt ? new Date(stored.refreshedAt).toISOString() : null,
    problem: stored?.problem ?? null,
  };
}

/** The company's custom field definitions, as the connection holds them, and reading them again. */
export function addCustomFieldRoutes(routes: ApiRoutes, services: ApiServices): void {
  routes.add({
    method: 'get',
    path: '/v1/connections/{id}/custom-fields',
    tag: 'Connections',
    summary: 'The company’s custom fields on customers, and which CRM key each is mapped to',
    params: idParams,
    responses: { 200: { description: 'As last read from QuickBooks.', schema: customFieldsSchema } },
    handler: async ({ auth, params }) => {
      const connection = await ownedConnection(services, auth.accountId, params.id);
      return { status: 200, body: customFieldsJson(connection, connection.customFieldDefinitions) };
    },
  });

  routes.add({
    method: 'post',
    path: '/v1/connections/{id}/custom-fields/refresh',
    tag: 'Connections',
    summary: 'Read the company’s custom field definitions again (each backfill also does)',
    description:
      'Needs the `app-foundations.custom-field-definitions` scope, asked for at connect; a connection made before ' +
      'it was asked for answers with `problem` set until it is connected again.',
    params: idParams,
    responses: { 200: { description: 'As just read.', schema: customFieldsSchema } },
    handler: async ({ auth, params }) => {
      const connection = await ownedConnection(services, auth.accountId, params.id);
      const db = await services.db();
      const stored = await refreshCustomFieldDefinitions(
        db,
        new QboAccess(db, services.qbo),
        connection._id,
        services.now(),
      );
      return { status: 200, body: customFieldsJson(connection, stored) };
    },
  });
}
