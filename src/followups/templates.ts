import type { TransactionType } from '../sync/transactions';
import type { FollowUpKind } from './stages';
import { escapeHtml } from '../html/markup';

/**
 * The emails a customer receives, as plain text and HTML. Every value from QBO or the policy is escaped in the
 * HTML, and amounts are written in the document's own currency.
 */
export interface EmailDocument {
  type: TransactionType;
  qboId: string;
  number?: string;
  total: number;
  balance: number;
  currency: string;
  txnDate: string;
  dueDate?: string;
  expirationDate?: string;
}

export interface EmailContent {
  kind: FollowUpKind;
  /** Who the email is from: the company. */
  senderName: string;
  customerName: string | null;
  document: EmailDocument;
  daysOverdue?: number;
  daysToExpiry?: number;
  /** Where the customer pays or views the document. */
  link?: string;
  locale: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export function formatMoney(amount: number, currency: string, locale: string): string {
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount);
  } catch {
    // A code Intl does not know still reads correctly as "1,234.50 XYZ".
    return `${new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(amount)} ${currency}`;
  }
}

/** A `yyyy-MM-dd` calendar date, written out ("March 2, 2026"); UTC so no zone shifts the day. */
export function formatDate(isoDate: string, locale: string): string {
  const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(
    new Date(Date.UTC(y, m - 1, d)),
  );
}

/** Fills `{realmId}`, `{type}`, `{id}` and `{number}` in a policy's link template, each URL-encoded. */
export function fillLinkTemplate(
  template: string,
  values: { realmId: string; type: string; id: string; number?: string },
): string {
  return template.replace(/\{(realmId|type|id|number)\}/g, (_match, name: keyof typeof values) =>
    encodeURIComponent(values[name] ?? ''),
  );
}

const documentNames: Partial<Record<TransactionType, string>> = {
  Invoice: 'invoice',
  Estimate: 'estimate',
  Payment: 'payment',
};

function days(count: number): string {
  return `${count} day${count === 1 ? '' : 's'}`;
}

/** A paragraph is a list of pieces; a piece is text or a value, which HTML escapes (and may emphasise). */
type Piece = string | { value: string; strong?: boolean };
/** A line of a list, with its own link. */
interface ListItem {
  pieces: Piece[];
  link?: { label: string; href: string };
}
interface Message {
  subject: string;
  paragraphs: Piece[][];
  /** A list between the first paragraph and the rest (a digest's documents). */
  list?: ListItem[];
  /** The call to action under the paragraphs, when the policy gives a link. */
  action?: string;
}

/** One overdue invoice of a digest, with where to pay it. */
export interface DigestItem {
  document: EmailDocument;
  daysOverdue: number;
  link?: string;
}

export interface DigestContent {
  senderName: string;
  customerName: string | null;
  /** In the order listed: oldest due date first reads best. */
  items: DigestItem[];
  locale: string;
}

function message(content: EmailContent): Message {
  const { document, locale } = content;
  const name = documentNames[document.type] ?? 'document';
  const label = document.number === undefined ? `your ${name}` : `${name} ${document.number}`;
  const money = (amount: number): Piece => ({
    value: formatMoney(amount, document.currency, locale),
    strong: true,
  });
  const date = (isoDate: string): Piece => ({ value: formatDate(isoDate, locale) });
  const from: Piece = { value: content.senderName };

  switch (content.kind) {
    case 'invoice_overdue': {
      const overdue = content.daysOverdue ?? 0;
      const partly = document.balance < document.total;
      return {
        subject: `Payment reminder: ${label} is ${days(overdue)} overdue`,
        paragraphs: [
          [
            `This is a friendly reminder that ${label} from `,
            from,
            ' was due on ',
            date(document.dueDate ?? document.txnDate),
            ` and is now ${days(overdue)} overdue.`,
          ],
          partly
            ? ['Amount due: ', money(document.balance), ' of ', money(document.total), '.']
            : ['Amount due: ', money(document.balance), '.'],
          ['If you have already paid, thank you, and please disregard this message.'],
        ],
        action: 'Pay or view the invoice',
      };
    }
    case 'estimate_expiring':
      return {
        subject: `${capitalise(label)} expires on ${formatDate(document.expirationDate ?? document.txnDate, locale)}`,
        paragraphs: [
          [
            `${capitalise(label)} from `,
            from,
            ' for ',
            money(document.total),
            ' expires on ',
            date(document.expirationDate ?? document.txnDate),
            ` (in ${days(content.daysToExpiry ?? 0)}).`,
          ],
          ['Reply to this email if you would like to go ahead or have any questions.'],
        ],
        action: 'View the estimate',
      };
    case 'estimate_accepted':
      return {
        subject: `Thank you for accepting ${label}`,
        paragraphs: [
          ['Thank you for accepting ', { value: label }, ' for ', money(document.total), '.'],
          [from, ' will be in touch about the next steps.'],
        ],
        action: 'View the estimate',
      };
    case 'payment_received':
      return {
        subject: `Thank you for your payment of ${formatMoney(document.total, document.currency, locale)}`,
        paragraphs: [
          [
            'We received your payment of ',
            money(document.total),
            ' on ',
            date(document.txnDate),
            '. Thank you!',
          ],
        ],
      };
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function renderFollowUpEmail(content: EmailContent): RenderedEmail {
  return render(message(content), content);
}

/** The open balances added up per currency (in cents, so no float drift), in the order first listed. */
function totals(items: readonly DigestItem[]): { currency: string; amount: number }[] {
  const cents = new Map<string, number>();
  for (const { document } of items)
    cents.set(document.currency, (cents.get(document.currency) ?? 0) + Math.round(document.balance * 100));
  return [...cents].map(([currency, amount]) => ({ currency, amount: amount / 100 }));
}

function digestMessage(content: DigestContent): Message {
  const { items, locale } = content;
  const count = items.length;
  const money = (amount: number, currency: string): Piece => ({
    value: formatMoney(amount, currency, locale),
    strong: true,
  });
  const total = totals(items).flatMap(({ currency, amount }, index) => [
    ...(index === 0 ? [] : [' and ']),
    money(amount, currency),
  ]);
  return {
    subject: `Payment reminder: ${count} overdue invoice${count === 1 ? '' : 's'}`,
    paragraphs: [
      [
        `This is a friendly reminder that ${count === 1 ? 'this invoice' : `these ${count} invoices`} from `,
        { value: content.senderName },
        ` ${count === 1 ? 'is' : 'are'} overdue:`,
      ],
      ['Total due: ', ...total, '.'],
      ['If you have already paid, thank you, and please disregard this message.'],
    ],
    list: items.map(({ document, daysOverdue, link }) => {
      const label = document.number === undefined ? 'Invoice' : `Invoice ${document.number}`;
      return {
        pieces: [
          { value: label },
          ', due ',
          { value: formatDate(document.dueDate ?? document.txnDate, locale) },
          ` (${days(daysOverdue)} overdue): `,
          money(document.balance, document.currency),
          ...(document.balance < document.total
            ? [' of ', { value: formatMoney(document.total, document.currency, locale) }]
            : []),
        ],
        ...(link !== undefined && { link: { label: `Pay or view ${label.toLowerCase()}`, href: link } }),
      };
    }),
  };
}

/** One email for a customer's overdue invoices: each with its due date, open balance and pay link, and the total. */
export function renderDigestEmail(content: DigestContent): RenderedEmail {
  return render(digestMessage(content), content);
}

function render(
  { subject, paragraphs, list, action }: Message,
  content: { senderName: string; customerName: string | null; locale: string; link?: string },
): RenderedEmail {
  const greeting = content.customerName === null ? 'Hello,' : `Hello ${content.customerName},`;
  const asText = (piece: Piece): string => (typeof piece === 'string' ? piece : piece.value);
  const asHtml = (piece: Piece): string => {
    if (typeof piece === 'string') return escapeHtml(piece);
    return piece.strong ? `<strong>${escapeHtml(piece.value)}</strong>` : escapeHtml(piece.value);
  };
  const link = action === undefined ? undefined : content.link;
  const [opening = [], ...rest] = paragraphs;
  const items = list ?? [];

  const text = [
    greeting,
    opening.map(asText).join(''),
    ...(items.length === 0
      ? []
      : [
          items
            .map(
              (item) =>
                `- ${item.pieces.map(asText).join('')}` +
                (item.link === undefined ? '' : `\n  ${item.link.label}: ${item.link.href}`),
            )
            .join('\n'),
        ]),
    ...rest.map((paragraph) => paragraph.map(asText).join('')),
    ...(link === undefined ? [] : [`${action}: ${link}`]),
    content.senderName,
  ].join('\n\n');

  const html = [
    '<!doctype html>',
    `<html lang="${escapeHtml(content.locale)}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family: Arial, Helvetica, sans-serif; line-height: 1.5; color: #222">',
    `<p>${escapeHtml(greeting)}</p>`,
    `<p>${opening.map(asHtml).join('')}</p>`,
    ...(items.length === 0
      ? []
      : [
          '<ul>',
          ...items.map(
            (item) =>
              `<li>${item.pieces.map(asHtml).join('')}` +
              (item.link === undefined
                ? ''
                : `<br><a href="${escapeHtml(item.link.href)}">${escapeHtml(item.link.label)}</a>`) +
              '</li>',
          ),
          '</ul>',
        ]),
    ...rest.map((paragraph) => `<p>${paragraph.map(asHtml).join('')}</p>`),
    ...(link === undefined || action === undefined
      ? []
      : [`<p><a href="${escapeHtml(link)}">${escapeHtml(action)}</a></p>`]),
    `<p>${escapeHtml(content.senderName)}</p>`,
    '</body></html>',
  ].join('\n');

  return { subject, text: `${text}\n`, html: `${html}\n` };
}
