import express, { type Router } from 'express';
import { buildSchema, graphql } from 'graphql';
import type { Company, CustomFieldDefinition, CustomFieldEntity } from '../company';
import type { QboEmulator } from '../emulator';

/** The part of Intuit's App Foundations schema that reads custom field definitions. */
const schema = buildSchema(`
  input AppFoundations_CustomExtensionsDefinitionFilterBy { active: Boolean }
  type AppFoundations_CustomFieldValidationOptions { required: Boolean }
  type AppFoundations_CustomFieldSubAssociation {
    associatedEntity: String!
    active: Boolean!
    allowedOperations: [String!]!
  }
  type AppFoundations_CustomFieldAssociation {
    associatedEntity: String!
    active: Boolean!
    validationOptions: AppFoundations_CustomFieldValidationOptions
    allowedOperations: [String!]!
    associationCondition: String
    subAssociations: [AppFoundations_CustomFieldSubAssociation!]!
  }
  type AppFoundations_CustomFieldDropDownOption { id: String! value: String! active: Boolean! order: Int! }
  type AppFoundations_CustomFieldDefinitionMetaModel { suggested: Boolean }
  type AppFoundations_CustomFieldDefinition {
    id: ID!
    legacyIDV2: String
    label: String!
    dataType: String!
    active: Boolean!
    createdSource: String
    dropDownOptions: [AppFoundations_CustomFieldDropDownOption!]!
    associations: [AppFoundations_CustomFieldAssociation!]!
    customFieldDefinitionMetaModel: AppFoundations_CustomFieldDefinitionMetaModel
  }
  type AppFoundations_CustomFieldDefinitionEdge { node: AppFoundations_CustomFieldDefinition! cursor: String! }
  type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
  type AppFoundations_CustomFieldDefinitionConnection {
    edges: [AppFoundations_CustomFieldDefinitionEdge!]!
    pageInfo: PageInfo!
  }
  type Query {
    appFoundationsCustomFieldDefinitions(
      filters: AppFoundations_CustomExtensionsDefinitionFilterBy
      first: Int
      after: String
    ): AppFoundations_CustomFieldDefinitionConnection!
  }
`);

/** Where each entity sits in Intuit's association model: transactions by sale type, customers as contacts. */
const associations: Record<CustomFieldEntity, { entity: string; sub: string }> = {
  Invoice: { entity: '/transactions/Transaction', sub: 'SALE_INVOICE' },
  Estimate: { entity: '/transactions/Transaction', sub: 'SALE_ESTIMATE' },
  SalesReceipt: { entity: '/transactions/Transaction', sub: 'SALE' },
  Customer: { entity: '/network/Contact', sub: 'CUSTOMER' },
};

/** A definition as the GraphQL API shows it; dropdowns are STRING fields with options. */
function node(definition: CustomFieldDefinition) {
  const grouped = new Map<string, string[]>();
  for (const entity of definition.entities) {
    const { entity: associated, sub } = associations[entity];
    grouped.set(associated, [...(grouped.get(associated) ?? []), sub]);
  }
  return {
    id: definition.id,
    legacyIDV2: definition.legacyId,
    label: definition.label,
    dataType: { string: 'STRING', dropdown: 'STRING', number: 'NUMBER', date: 'DATE' }[definition.type],
    active: definition.active,
    createdSource: null,
    dropDownOptions: definition.options.map((value, order) => ({
      id: String(order + 1),
      value,
      active: true,
      order,
    })),
    associations: [...grouped].map(([associatedEntity, subs]) => ({
      associatedEntity,
      active: definition.active,
      validationOptions: { required: false },
      allowedOperations: [],
      associationCondition: 'INCLUDED',
      subAssociations: subs.map((sub) => ({ associatedEntity: sub, active: true, allowedOperations: [] })),
    })),
    customFieldDefinitionMetaModel: { suggested: null },
  };
}

function definitionsConnection(
  company: Company,
  args: { filters?: { active?: boolean | null } | null; first?: number | null; after?: string | null },
) {
  const matching = company.customFields.filter(
    (definition) =>
      args.filters?.active === undefined ||
      args.filters.active === null ||
      definition.active === args.filters.active,
  );
  const start = args.after ? matching.findIndex((definition) => definition.id === args.after) + 1 : 0;
  const page = matching.slice(start, args.first ? start + args.first : undefined);
  return {
    edges: page.map((definition) => ({ node: node(definition), cursor: definition.id })),
    pageInfo: {
      hasNextPage: start + page.length < matching.length,
      hasPreviousPage: start > 0,
      startCursor: page[0]?.id ?? null,
      endCursor: page.at(-1)?.id ?? null,
    },
  };
}

const readScopes = [
  'app-foundations.custom-field-definitions',
  'app-foundations.custom-field-definitions.read',
];

/**
 * `POST /graphql`, standing in for `https://qb.api.intuit.com/graphql`: the custom field definitions of the company
 * the bearer token was issued for.
 */
export function createGraphqlRouter(emulator: QboEmulator): Router {
  const router = express.Router();
  router.post('/', express.json({ limit: '1mb' }), async (req, res) => {
    const auth = emulator.authority.authenticate(req.headers.authorization);
    if (!auth.ok) {
      return void res
        .status(401)
        .json({ errors: [{ message: 'Unauthorized', extensions: { code: 'UNAUTHENTICATED' } }] });
    }
    const company = emulator.company(auth.realmId);
    if (!company || !auth.scopes.some((scope) => readScopes.includes(scope))) {
      return void res.status(403).json({
        errors: [
          {
            message: `The token lacks the scope ${readScopes[1]} for this company.`,
            extensions: { code: 'FORBIDDEN' },
          },
        ],
      });
    }
    const body = (req.body ?? {}) as { query?: unknown; variables?: unknown; operationName?: unknown };
    if (typeof body.query !== 'string') {
      return void res
        .status(400)
        .json({ errors: [{ message: 'A GraphQL request needs a "query" string.' }] });
    }
    const result = await graphql({
      schema,
      source: body.query,
      variableValues:
        typeof body.variables === 'object' ? (body.variables as Record<string, unknown>) : undefined,
      operationName: typeof body.operationName === 'string' ? body.operationName : undefined,
      rootValue: {
        appFoundationsCustomFieldDefinitions: (args: Parameters<typeof definitionsConnection>[1]) =>
          definitionsConnection(company, args),
      },
    });
    res.status(200).json(result);
  });
  return router;
}
