import { z } from 'zod';
import { defaultCompanyTimeZone } from '../time/company-zone';
import { isTimeZone } from '../time/zoned-time';

/**
 * A connection's follow-up policy: which QBO events become follow-ups, when, and on which channels. Every field has
 * a default, so `{}` is a complete policy and `setPolicy` replaces the whole document (PUT semantics). The time
 * zone's default is the company's own, so it is filled in when the policy is read for a connection.
 */
function isLocale(value: string): boolean {
  try {
    return Intl.NumberFormat.supportedLocalesOf([value]).length > 0;
  } catch {
    return false;
  }
}

export const emailDeliveries = ['per_document', 'digest'] as const;
export type EmailDelivery = (typeof emailDeliveries)[number];

const hour = z.number().int().min(0).max(23);

export const followUpPolicySchema = z.strictObject({
  /** Off pauses the connection's reminder schedule; nothing new is planned or sent. */
  enabled: z.boolean().default(true),
  /**
   * The zone whose calendar "today", days overdue and quiet hours are judged on. Left out, it is the company's own
   * (the connection's `timeZone`), and follows it when the company moves.
   */
  timeZone: z
    .string()
    .refine(isTimeZone, 'must be an IANA time zone such as America/New_York')
    .optional()
    .describe(
      'An IANA zone. Left out, the company’s own (the connection’s `timeZone`), and read back as that zone',
    ),
  /** Whole local hours in which nothing is delivered: `start` inclusive to `end` exclusive, wrapping midnight. */
  quietHours: z
    .strictObject({ start: hour, end: hour })
    .refine((quiet) => quiet.start !== quiet.end, 'start and end must differ')
    .nullable()
    .default({ start: 20, end: 8 }),
  /**
   * Documents whose open amount (or total, for estimates and payments) is below this, in the home currency, get no
   * follow-up. A foreign amount without a known home value is never held back by it.
   */
  minimumAmount: z.number().min(0).default(0),
  overdue: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Days past the due date at which a reminder goes out; each step is sent once per invoice. */
      cadenceDays: z
        .array(z.number().int().min(1).max(365))
        .min(1)
        .max(12)
        .default([1, 7, 14, 30])
        .transform((days) => [...new Set(days)].sort((a, b) => a - b)),
    })
    .prefault({}),
  estimateExpiring: z
    .strictObject({
      enabled: z.boolean().default(true),
      daysBefore: z.number().int().min(0).max(60).default(3),
    })
    .prefault({}),
  estimateAccepted: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
  paymentReceived: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Only payments dated this many days back or less are thanked, so a first run does not thank for history. */
      withinDays: z.number().int().min(0).max(30).default(3),
    })
    .prefault({}),
  channels: z
    .strictObject({
      /** A `followup.created` event (signed webhook) for the CRM. */
      crm: z.boolean().default(true),
      /** An email to the customer; opt-in, since it writes to the company's customers. */
      email: z.boolean().default(false),
    })
    .prefault({}),
  email: z
    .strictObject({
      /** The display name of the From address; the company name when absent. */
      senderName: z.string().trim().min(1).max(100).optional(),
      replyTo: z.email().optional(),
      /** Where the customer pays or views a document: `{realmId}`, `{type}`, `{id}` and `{number}` are filled in. */
      linkTemplate: z
        .string()
        .max(500)
        .refine((value) => /^https?:\/\//.test(value), 'must be an http(s) URL template')
        .optional(),
      locale: z.string().refine(isLocale, 'must be a BCP 47 locale such as en-US').default('en-US'),
      /**
       * `per_document`: one email per overdue invoice. `digest`: one email per customer and run, listing every
       * overdue invoice due a reminder with its own pay link and the total. Other follow-ups are always their own.
       */
      delivery: z
        .enum(emailDeliveries)
        .default('per_document')
        .describe(
          '`per_document`: one reminder email per overdue invoice. `digest`: one per customer and run, listing ' +
            'each overdue invoice due a reminder (number, due date, open balance, pay link) and the total',
        ),
    })
    .prefault({}),
});

/** A policy as set and stored: without a time zone, it follows the company's. */
export type FollowUpPolicySettings = z.output<typeof followUpPolicySchema>;
export type FollowUpPolicyInput = z.input<typeof followUpPolicySchema>;
/** A policy as a connection applies it, its time zone settled. */
export type FollowUpPolicy = FollowUpPolicySettings & { timeZone: string };

export function policyForCompany(settings: FollowUpPolicySettings, companyTimeZone: string): FollowUpPolicy {
  return { ...settings, timeZone: settings.timeZone ?? companyTimeZone };
}

/** The defaults, for a company whose zone is not known (Pacific time). */
export const defaultFollowUpPolicy: FollowUpPolicy = policyForCompany(
  followUpPolicySchema.parse({}),
  defaultCompanyTimeZone.name,
);

/** Whether a local hour (0–23) falls in the policy's quiet hours. */
export function isQuietHour(policy: Pick<FollowUpPolicy, 'quietHours'>, localHour: number): boolean {
  const quiet = policy.quietHours;
  if (quiet === null) return false;
  return quiet.start < quiet.end
    ? localHour >= quiet.start && localHour < quiet.end
    : localHour >= quiet.start || localHour < quiet.end;
}

/** The local hours in which deliveries may happen: what the reminder schedule fires on. */
export function deliveryHours(policy: Pick<FollowUpPolicy, 'quietHours'>): number[] {
  return Array.from({ length: 24 }, (_unused, localHour) => localHour).filter(
    (localHour) => !isQuietHour(policy, localHour),
  );
}
