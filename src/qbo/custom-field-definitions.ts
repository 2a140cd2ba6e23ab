/**
 * The company's custom field definitions, read from Intuit's App Foundations GraphQL API (the Accounting API has no
 * read of them). It needs the `app-foundations.custom-field-definitions` scope; a connection made without it is
 * told so, and syncs no custom fields until it is connected again.
 */
import { z } from 'zod';
import type { CustomFieldDefinition, CustomFieldType } from '../sync/custom-fields';
import type { TokenSource } from './token-source';

export const customFieldScope = 'app-foundations.custom-field-definitions';

/** The query the connection reads its company's definitions with, a page at a time. */
export const customFieldDefinitionsQuery = `
  query CustomFieldDefinitions($after: String) {
    appFoundationsCustomFieldDefinitions(filters: { active: true }, first: 100, after: $after) {
      edges {
        node {
          legacyIDV2 label dataType active
          dropDownOptions { value active order }
          associations { associatedEntity active subAssociations { associatedEntity active } }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }`;

const nodeSchema = z.object({
  legacyIDV2: z.string().nullish(),
  label: z.string(),
  dataType: z.string(),
  active: z.boolean(),
  dropDownOptions: z.array(z.object({ value: z.string(), active: z.boolean(), order: z.number() })).nullish(),
  associations: z
    .array(
      z.object({
        associatedEntity: z.string(),
        active: z.boolean(),
        subAssociations: z.array(z.object({ associatedEntity: z.string(), active: z.boolean() })).nullish(),
      }),
    )
    .nullish(),
});

export const definitionsPageSchema = z.object({
  data: z.object({
    appFoundationsCustomFieldDefinitions: z.object({
      edges: z.array(z.object({ node: nodeSchema })),
      pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullish() }),
    }),
  }),
});
export type DefinitionsPage = z.infer<typeof definitionsPageSchema>;

/** Customers are the `CUSTOMER` sub-association of `/network/Contact` in Intuit's association model. */
function appliesToCustomers(node: z.infer<typeof nodeSchema>): boolean {
  return (node.associations ?? []).some(
    (association) =>
      association.active &&
      association.associatedEntity === '/network/Contact' &&
      (association.subAssociations ?? []).some((sub) => sub.active && sub.associatedEntity === 'CUSTOMER'),
  );
}

/** The active customer definitions of a page; a field without a legacy id cannot be written through v3, so none. */
export function customerDefinitionsOf(page: DefinitionsPage): CustomFieldDefinition[] {
  const definitions: CustomFieldDefinition[] = [];
  for (const { node } of page.data.appFoundationsCustomFieldDefinitions.edges) {
    if (!node.active || !node.legacyIDV2 || !appliesToCustomers(node)) continue;
    const options = (node.dropDownOptions ?? [])
      .filter((option) => option.active)
      .sort((a, b) => a.order - b.order)
      .map((option) => option.value);
    const type: CustomFieldType =
      node.dataType === 'NUMBER'
        ? 'number'
        : node.dataType === 'DATE'
          ? 'date'
          : options.length > 0
            ? 'dropdown'
            : 'string';
    definitions.push({
      id: node.legacyIDV2,
      label: node.label,
      type,
      options: type === 'dropdown' ? options : [],
    });
  }
  return definitions;
}

export class CustomFieldsUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CustomFieldsUnavailable';
  }
}

export interface DefinitionsReadOptions {
  /** e.g. https://qb.api.intuit.com/graphql, or the emulator's `/graphql`. */
  url: string;
  tokens: TokenSource;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** A company has few definitions; this bounds a server that keeps answering `hasNextPage`. */
const maxPages = 20;

/** The company's active definitions that apply to customers, every page of them. */
export async function readCustomerFieldDefinitions(
  options: DefinitionsReadOptions,
): Promise<CustomFieldDefinition[]> {
  const definitions: CustomFieldDefinition[] = [];
  let after: string | null = null;
  for (let page = 0; page < maxPages; page += 1) {
    const json = await post(options, { query: customFieldDefinitionsQuery, variables: { after } });
    const parsed = definitionsPageSchema.safeParse(json);
    if (!parsed.success)
      throw new CustomFieldsUnavailable(
        `QuickBooks answered the custom field definitions read with ${describe(json)}`,
      );
    definitions.push(...customerDefinitionsOf(parsed.data));
    const { hasNextPage, endCursor } = parsed.data.data.appFoundationsCustomFieldDefinitions.pageInfo;
    if (!hasNextPage || !endCursor) return definitions;
    after = endCursor;
  }
  throw new CustomFieldsUnavailable(`more than ${maxPages} pages of custom field definitions`);
}

async function post(options: DefinitionsReadOptions, body: unknown): Promise<unknown> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const send = async (token: string): Promise<Response> => {
    try {
      return await fetchImpl(options.url, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          Accept: 'application/json',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      throw new CustomFieldsUnavailable(
        `the custom field definitions could not be read: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };
  const token = await options.tokens.accessToken();
  let response = await send(token);
  if (response.status === 401) response = await send(await options.tokens.refreshAfterUnauthorized(token));
  if (response.status === 403)
    throw new CustomFieldsUnavailable(
      `the connection was not granted the ${customFieldScope} scope; connect the company again to sync custom fields`,
    );
  const text = await response.text();
  if (!response.ok)
    throw new CustomFieldsUnavailable(
      `the custom field definitions read failed with HTTP ${response.status}`,
    );
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CustomFieldsUnavailable('the custom field definitions read did not answer JSON');
  }
}

function describe(json: unknown): string {
  const errors = (json as { errors?: { message?: unknown }[] } | null)?.errors;
  const message = Array.isArray(errors) ? errors.map((error) => String(error.message)).join('; ') : undefined;
  return message ? `errors: ${message}` : 'an answer of an unexpected shape';
}
