import { z } from 'zod';
import { accountModel } from '../../accounts/models';
import { documentLink, emailSenderName } from '../../followups/delivery';
import { companyDay } from '../../followups/engine';
import { followUpPolicySchema, policyForCompany, type FollowUpPolicySettings } from '../../followups/policy';
import { addDays, followUpKinds, type FollowUpKind } from '../../followups/stages';
import { companyTimeZone } from '../../time/company-zone';
import { renderDigestEmail, renderFollowUpEmail, type EmailDocument } from '../../followups/templates';
import type { ApiRoutes } from '../http/route';
import type { ApiServices } from '../services';
import { ownedConnection } from './owned';

const previewSchema = z
  .object({
    emails: z.array(
      z.object({
        kind: z.enum(followUpKinds),
        stage: z
          .string()
          .describe(
            'As in a follow-up: `overdue-7`, `estimate-expiring`, …; `overdue-digest` for the one email a ' +
              'customer gets for all their overdue invoices when the policy’s `email.delivery` is `digest`',
          ),
        subject: z.string(),
        text: z.string(),
        html: z.string(),
      }),
    ),
  })
  .meta({ id: 'FollowUpEmailPreview' });

interface Sample {
  kind: FollowUpKind;
  stage: string;
  document: EmailDocument;
  daysOverdue?: number;
  daysToExpiry?: number;
}

/** A made-up invoice `days` overdue on `today`. */
function sampleInvoice(
  number: string,
  days: number,
  today: string,
  currency: string,
  balance = 1250,
): Sample {
  return {
    kind: 'invoice_overdue',
    stage: `overdue-${days}`,
    daysOverdue: days,
    document: {
      type: 'Invoice',
      qboId: number,
      number,
      total: 1250,
      balance,
      currency,
      txnDate: addDays(today, -days - 30),
      dueDate: addDays(today, -days),
    },
  };
}

/** One made-up document per stage the policy would send, dated around `today`, in the home currency. */
function samples(policy: FollowUpPolicySettings, today: string, currency: string): Sample[] {
  const invoice = (days: number): Sample => sampleInvoice('1001', days, today, currency);
  const estimate: EmailDocument = {
    type: 'Estimate',
    qboId: '1002',
    number: '1002',
    total: 800,
    balance: 800,
    currency,
    txnDate: addDays(today, -20),
    expirationDate: addDays(today, policy.estimateExpiring.daysBefore),
  };
  return [
    ...(policy.overdue.enabled ? policy.overdue.cadenceDays.map(invoice) : []),
    ...(policy.estimateExpiring.enabled
      ? [
          {
            kind: 'estimate_expiring' as const,
            stage: 'estimate-expiring',
            daysToExpiry: policy.estimateExpiring.daysBefore,
            document: estimate,
          },
        ]
      : []),
    ...(policy.estimateAccepted.enabled
      ? [{ kind: 'estimate_accepted' as const, stage: 'estimate-accepted', document: estimate }]
      : []),
    ...(policy.paymentReceived.enabled
      ? [
          {
            kind: 'payment_received' as const,
            stage: 'payment-received',
            document: {
              type: 'Payment' as const,
              qboId: '1003',
              total: 500,
              balance: 0,
              currency,
              txnDate: today,
            },
          },
        ]
      : []),
  ];
}

/** What a follow-up policy would send, before it is saved: the console's live preview, and the CRM's. */
export function addFollowUpPreviewRoutes(routes: ApiRoutes, services: ApiServices): void {
  routes.add({
    method: 'post',
    path: '/v1/connections/{id}/follow-up-policy/preview',
    tag: 'Follow-ups',
    summary: 'Preview the emails a follow-up policy would send, without saving it',
    description:
      'Send a policy as for `PUT …/follow-up-policy`. The answer has one email per stage the policy would send, ' +
      'rendered exactly as delivery renders it, for a made-up customer and documents in the company’s home ' +
      'currency; with `email.delivery: "digest"`, the overdue reminders are one `overdue-digest` email listing ' +
      'invoices at the policy’s latest (up to three) steps. Nothing is stored or sent.',
    params: z.object({ id: z.string().max(100) }).strict(),
    body: followUpPolicySchema,
    responses: { 200: { description: 'The emails, in the order of the policy.', schema: previewSchema } },
    handler: async ({ auth, params, body }) => {
      const connection = await ownedConnection(services, auth.accountId, params.id);
      const account = await accountModel(await services.db())
        .findById(auth.accountId, { name: 1 })
        .lean();
      // The company's calendar, as delivery dates its emails.
      const today = companyDay(services.now(), policyForCompany(body, companyTimeZone(connection).name));
      const senderName = emailSenderName(body, connection, account);
      const link = (document: EmailDocument) =>
        documentLink(document, connection.realmId, body.email.linkTemplate);
      const currency = connection.homeCurrency ?? 'USD';
      const perDocument = samples(body, today, currency).map((sample) => {
        const href = link(sample.document);
        return {
          kind: sample.kind,
          stage: sample.stage,
          ...renderFollowUpEmail({
            kind: sample.kind,
            senderName,
            customerName: 'Sample Customer',
            document: sample.document,
            ...(sample.daysOverdue !== undefined ? { daysOverdue: sample.daysOverdue } : {}),
            ...(sample.daysToExpiry !== undefined ? { daysToExpiry: sample.daysToExpiry } : {}),
            ...(href !== undefined ? { link: href } : {}),
            locale: body.email.locale,
          }),
        };
      });
      // A digest replaces the overdue reminders with one email listing a customer's invoices at several steps.
      const digest =
        body.email.delivery === 'digest' && body.overdue.enabled
          ? [
              {
                kind: 'invoice_overdue' as const,
                stage: 'overdue-digest',
                ...renderDigestEmail({
                  senderName,
                  customerName: 'Sample Customer',
                  items: body.overdue.cadenceDays
                    .slice(-3)
                    .reverse()
                    .map((days, index) => {
                      const sample = sampleInvoice(
                        String(1001 + index * 3),
                        days,
                        today,
                        currency,
                        1250 - index * 500,
                      );
                      const href = link(sample.document);
                      return {
                        document: sample.document,
                        daysOverdue: days,
                        ...(href !== undefined ? { link: href } : {}),
                      };
                    }),
                  locale: body.email.locale,
                }),
              },
            ]
          : [];
      const emails = [
        ...digest,
        ...perDocument.filter((email) => digest.length === 0 || email.kind !== 'invoice_overdue'),
      ];
      return { status: 200, body: { emails } };
    },
  });
}
