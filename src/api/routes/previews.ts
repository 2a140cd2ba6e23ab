import { z } from 'zod';
import { loadFields } from '../../db/field-maps';
import { ContactProblem, assertWritable } from '../../contacts/service';
import { evidenceKinds } from '../../contacts/setup-match';
import { duplicateReasons, planOutcomes, type PlanEntry, type PlanOutcome } from '../../previews/plan';
import {
  applyPlan,
  checkPreview,
  createPreview,
  maxPreviewContacts,
  proposalOf,
} from '../../previews/service';
import {
  claimForApply,
  markApplied,
  pageEntries,
  previewStatuses,
  readPreview,
  releaseClaim,
  type EntryPosition,
  type PreviewRecord,
} from '../../previews/store';
import { toSyncFields } from '../../sync/fields';
import { decodeCursor, pageOf, pageQuery, toPage } from '../http/cursor';
import { ApiProblem, invalidFields, notFound } from '../http/problem';
import type { ApiRoutes } from '../http/route';
import type { ApiServices } from '../services';
import { batchContactSchema } from './contacts';
import { tellContactsChanged } from './contacts-changed';
import { connectionServiceFor } from './connections';
import { ownedConnection } from './owned';
import {
  conflictPolicySchema,
  fieldNameSchema,
  mappingPolicySchema,
  transactionHistorySchema,
} from './schemas';

const planEntrySchema = z
  .object({
    crmContactId: z.string(),
    outcome: z.enum(planOutcomes),
    qboCustomerId: z
      .string()
      .nullable()
      .describe('The customer matched, taken twice, holding the name, or linked already.'),
    by: z
      .enum(['email', 'name', 'crm'])
      .nullable()
      .describe('What a match was decided on; `crm`: the contact names its customer (`qboCustomerId`).'),
    evidence: z
      .object({
        agrees: z.array(z.enum(evidenceKinds)),
        differs: z.array(z.enum(evidenceKinds)),
        confidence: z.number().min(0).max(1),
      })
      .nullable()
      .describe(
        'A match: which of email, name, phone and billing address agree and which differ, and how sure it is (0–1).',
      ),
    reason: z
      .enum(duplicateReasons)
      .nullable()
      .describe(
        'A duplicate: `same_customer` (another contact of this plan takes the same customer, or creates one by the ' +
          'same name or email), `ambiguous_match` (the email or name fits several customers: `candidates`), ' +
          '`display_name_taken` (QuickBooks would refuse the name with 6240; the sync would create `createdAs`).',
      ),
    candidates: z.array(z.string()),
    otherContactId: z.string().nullable(),
    displayName: z.string().nullable().describe('The DisplayName a create would use, or the one taken.'),
    createdAs: z.string().nullable(),
    problems: z
      .array(z.object({ field: z.string(), problem: z.string() }))
      .describe(
        'A failure: QuickBooks’ rules the contact breaks, as the sync checks them before writing (a custom ' +
          'field’s as `customFields.<crmKey>`).',
      ),
    changes: z
      .object({ toQbo: z.array(fieldNameSchema), toCrm: z.array(fieldNameSchema) })
      .nullable()
      .describe(
        'A match: the fields its first sync writes to each side (mapped custom fields as `custom.<definitionId>`).',
      ),
  })
  .meta({ id: 'PreviewEntry' });

const previewSchema = z
  .object({
    id: z.string(),
    connectionId: z.string(),
    status: z.enum(previewStatuses),
    source: z.enum(['body', 'stored', 'none']),
    createdAt: z.string(),
    expiresAt: z.string(),
    qboAsOf: z
      .string()
      .nullable()
      .describe('When QuickBooks’ side, as the plan read it, was last polled; webhooks keep it closer.'),
    counts: z.record(z.enum(planOutcomes), z.number().int()),
    transactions: z
      .object({
        history: transactionHistorySchema,
        since: z
          .string()
          .nullable()
          .describe('The first transaction date the backfill read (the window applied); null: all of them.'),
        imported: z
          .number()
          .int()
          .describe('Transactions held for the company, so shown in contacts’ folders.'),
      })
      .nullable()
      .describe(
        'The connection’s transaction history window and what it imported. What it left out is not counted: ' +
          'that needs QuickBooks, and a preview asks it nothing. Null on previews made before it was recorded.',
      ),
    samples: z.record(z.enum(planOutcomes), z.array(planEntrySchema)).describe('A few entries per outcome.'),
    mappingChange: z
      .object({
        mappingPolicy: mappingPolicySchema.nullable(),
        conflictPolicy: conflictPolicySchema.nullable(),
        effects: z.array(
          z.object({
            field: fieldNameSchema,
            side: z.enum(['qbo', 'crm']).describe('The side the field would be written to.'),
            records: z.number().int(),
            samples: z.array(z.string()).describe('Some of the contacts concerned.'),
          }),
        ),
      })
      .nullable()
      .describe(
        'A proposed mapping change: which fields (mapped custom fields as `custom.<definitionId>`) it writes, on ' +
          'how many linked records, to which side.',
      ),
    applied: z
      .object({
        at: z.string(),
        stored: z.number().int(),
        refused: z.array(z.object({ crmContactId: z.string(), problem: z.string() })),
      })
      .nullable(),
  })
  .meta({ id: 'Preview' });

const previewPageSchema = previewSchema
  .extend({ entries: pageOf(planEntrySchema, 'PreviewEntryPage') })
  .meta({ id: 'PreviewWithEntries' });

const idParams = z.object({ id: z.string().max(100) }).strict();
const previewParams = z.object({ id: z.string().max(100), previewId: z.string().max(100) }).strict();

function entryJson(entry: PlanEntry): z.infer<typeof planEntrySchema> {
  return {
    crmContactId: entry.crmContactId,
    outcome: entry.outcome,
    qboCustomerId: entry.qboCustomerId ?? null,
    by: entry.by ?? null,
    evidence: entry.evidence ?? null,
    reason: entry.reason ?? null,
    candidates: entry.candidates ?? [],
    otherContactId: entry.otherContactId ?? null,
    displayName: entry.displayName ?? null,
    createdAs: entry.createdAs ?? null,
    problems: entry.problems ?? [],
    changes: entry.changes ?? null,
  };
}

function previewJson(preview: PreviewRecord): z.infer<typeof previewSchema> {
  const proposal = proposalOf(preview);
  return {
    id: preview._id,
    connectionId: preview.connectionId,
    status: preview.status,
    source: preview.source,
    createdAt: preview.createdAt.toISOString(),
    expiresAt: preview.expiresAt.toISOString(),
    qboAsOf: preview.qboAsOf?.toISOString() ?? null,
    counts: preview.counts,
    transactions: preview.transactions ?? null,
    samples: Object.fromEntries(
      planOutcomes.map((outcome) => [outcome, (preview.samples[outcome] ?? []).map(entryJson)]),
    ) as Record<PlanOutcome, z.infer<typeof planEntrySchema>[]>,
    mappingChange: proposal
      ? {
          mappingPolicy: proposal.mappingPolicy ?? null,
          conflictPolicy: proposal.conflictPolicy ?? null,
          effects: preview.mappingEffects,
        }
      : null,
    applied: preview.applied
      ? {
          at: new Date(preview.applied.at).toISOString(),
          stored: preview.applied.stored,
          refused: preview.applied.refused,
        }
      : null,
  };
}

/** The position a cursor this route returned names. */
function entryPositionOf(cursor: string | undefined): EntryPosition | undefined {
  const position = decodeCursor(cursor);
  if (!position) return undefined;
  const [, seq, offset] = /^(\d{1,6}):(\d{1,6})$/.exec(position.id) ?? [];
  if (seq === undefined || offset === undefined)
    throw new ApiProblem(400, 'invalid_cursor', 'cursor is not one this API returned', 'query.cursor');
  return { seq: Number(seq), offset: Number(offset) };
}

export function addPreviewRoutes(routes: ApiRoutes, services: ApiServices): void {
  const owned = (accountId: string, id: string) => ownedConnection(services, accountId, id);
  const ownedPreview = async (connectionId: string, previewId: string): Promise<PreviewRecord> => {
    const preview = await readPreview(await services.db(), connectionId, previewId);
    if (!preview) throw notFound('preview', previewId);
    return preview;
  };

  routes.add({
    method: 'post',
    path: '/v1/connections/{id}/previews',
    tag: 'Connections',
    summary: 'Preview a first sync of contacts, or a mapping change, without writing anything',
    description:
      'Send the CRM’s contacts (as `POST /v1/contacts/batch` takes them, up to 10,000), or `"source": "stored"` ' +
      'for the contacts already stored, and/or a proposed `mappingPolicy` and `conflictPolicy`. Each contact is ' +
      'decided as the sync would decide it, from the QuickBooks customers we hold: `would_match` (which customer, ' +
      'on what evidence, how sure), `would_create`, `would_duplicate`, `would_fail` (which of QuickBooks’ rules) ' +
      'or `already_linked`. A mapping change (mapped custom fields named `custom.<definitionId>`) is measured ' +
      'against every linked contact. Nothing is written to QuickBooks or to the contacts; the preview is stored, ' +
      'paged by outcome with `GET …/previews/{previewId}`, and can be applied with ' +
      '`POST …/previews/{previewId}/apply`.',
    params: idParams,
    body: z
      .object({
        contacts: z
          .array(batchContactSchema)
          .min(1)
          .max(maxPreviewContacts, `at most ${maxPreviewContacts} contacts per preview`)
          .optional(),
        source: z.literal('stored').optional().describe('Plan the contacts already stored instead.'),
        mappingPolicy: mappingPolicySchema.optional(),
        conflictPolicy: conflictPolicySchema.optional(),
      })
      .strict(),
    bodyLimit: '40mb',
    problems: [],
    responses: { 201: { description: 'The stored preview: counts and samples.', schema: previewSchema } },
    handler: async ({ auth, params, body }) => {
      const connection = await owned(auth.accountId, params.id);
      if (body.contacts && body.source)
        throw invalidFields([{ field: 'body.source', message: 'send contacts or "stored", not both' }]);
      const proposing = body.mappingPolicy !== undefined || body.conflictPolicy !== undefined;
      if (!body.contacts && !body.source && !proposing)
        throw invalidFields([
          {
            field: 'body',
            message: 'send contacts, "source": "stored", or a mappingPolicy or conflictPolicy to preview',
          },
        ]);
      const seen = new Map<string, number>();
      const repeated = (body.contacts ?? []).flatMap((contact, index) => {
        const earlier = seen.get(contact.crmContactId);
        seen.set(contact.crmContactId, earlier ?? index);
        return earlier === undefined
          ? []
          : [
              {
                field: `body.contacts.${index}.crmContactId`,
                message: `is also at body.contacts.${earlier}`,
              },
            ];
      });
      if (repeated.length > 0) throw invalidFields(repeated.slice(0, 20));
      const preview = await createPreview(
        await services.db(),
        connection,
        {
          ...(body.contacts
            ? {
                contacts: body.contacts.map(({ fields, ...contact }) => ({
                  ...contact,
                  fields: toSyncFields(loadFields(fields)),
                })),
              }
            : {}),
          ...(body.source ? { source: body.source } : {}),
          ...(proposing
            ? {
                proposal: {
                  ...(body.mappingPolicy ? { mappingPolicy: body.mappingPolicy } : {}),
                  ...(body.conflictPolicy ? { conflictPolicy: body.conflictPolicy } : {}),
                },
              }
            : {}),
        },
        services.now(),
        services.retention,
      );
      return { status: 201, body: previewJson(preview) };
    },
  });

  routes.add({
    method: 'get',
    path: '/v1/connections/{id}/previews/{previewId}',
    tag: 'Connections',
    summary: 'A preview: its counts and samples, and its entries paged, of one outcome or all',
    params: previewParams,
    query: z
      .object({
        outcome: z.enum(planOutcomes).optional().describe('Only entries of this outcome.'),
        ...pageQuery,
      })
      .strict(),
    problems: ['invalid_cursor'],
    responses: { 200: { description: 'The preview with a page of entries.', schema: previewPageSchema } },
    handler: async ({ auth, params, query }) => {
      const connection = await owned(auth.accountId, params.id);
      const preview = await ownedPreview(connection._id, params.previewId);
      const entries = await pageEntries(
        await services.db(),
        preview._id,
        query.outcome ?? 'all',
        entryPositionOf(query.cursor),
        query.limit + 1,
      );
      const page = toPage(entries, query.limit, ({ position }) => ({
        at: '',
        id: `${position.seq}:${position.offset}`,
      }));
      return {
        status: 200,
        body: {
          ...previewJson(preview),
          entries: { data: page.data.map((entry) => entryJson(entry.entry)), nextCursor: page.nextCursor },
        },
      };
    },
  });

  routes.add({
    method: 'post',
    path: '/v1/connections/{id}/previews/{previewId}/apply',
    tag: 'Connections',
    summary: 'Apply a preview: exactly its plan, unless something changed since that alters it',
    description:
      'Plans the preview again from its own inputs against today’s data. If any contact would now be decided ' +
      'differently (another customer, other evidence, another first merge), or the settings or the records a ' +
      'mapping change writes have changed, nothing is done and the answer is 409 `preview_outdated`, naming each ' +
      'in `errors`. Otherwise the mapping change is saved and the sync is told of the linked contacts it writes, ' +
      'the contacts it matches are stored pinned to their customer (`qboCustomerId`) and those it creates are ' +
      'stored, as `POST /v1/contacts/batch` stores them; the sync writes them to QuickBooks. Duplicates, failures ' +
      'and contacts linked already are left out. Applying an applied preview again only tells the sync of its ' +
      'contacts again (after a 503, say).',
    params: previewParams,
    problems: ['preview_outdated', 'preview_busy', 'connection_inactive', 'sync_unavailable'],
    responses: { 200: { description: 'The applied preview.', schema: previewSchema } },
    handler: async ({ auth, params }) => {
      const connection = await owned(auth.accountId, params.id);
      const db = await services.db();
      const preview = await ownedPreview(connection._id, params.previewId);
      try {
        assertWritable(connection);
      } catch (error) {
        if (error instanceof ContactProblem) throw new ApiProblem(409, 'connection_inactive', error.message);
        throw error;
      }
      if (preview.status === 'applied') {
        await tellContactsChanged(services, connection, [
          ...(preview.applied?.storedIds ?? []),
          ...(preview.applied?.remergedIds ?? []),
        ]);
        return { status: 200, body: previewJson(preview) };
      }
      if (!(await claimForApply(db, preview._id)))
        throw new ApiProblem(409, 'preview_busy', `preview ${preview._id} is being applied`);
      let stored: string[] = [];
      let remerged: string[] = [];
      try {
        const now = services.now();
        const checked = await checkPreview(db, connection, preview, now);
        if (checked.changes.length > 0)
          throw new ApiProblem(
            409,
            'preview_outdated',
            `${checked.changes.length} thing(s) changed since the preview in a way that alters its plan: ` +
              'preview again',
            undefined,
            checked.changes.slice(0, 100).map(({ subject, message }) => ({ field: subject, message })),
          );
        const proposal = proposalOf(preview);
        if (proposal)
          await (
            await connectionServiceFor(services)
          ).updateSettings(auth.accountId, connection._id, proposal);
        const applied = await applyPlan(db, connection, checked, now, services.retention);
        stored = applied.stored;
        remerged = checked.remerged;
        await markApplied(db, preview._id, {
          at: now,
          stored: stored.length,
          storedIds: stored,
          remergedIds: remerged,
          refused: applied.refused,
        });
      } catch (error) {
        await releaseClaim(db, preview._id);
        throw error;
      }
      await tellContactsChanged(services, connection, [...stored, ...remerged]);
      return { status: 200, body: previewJson(await ownedPreview(connection._id, preview._id)) };
    },
  });
}
