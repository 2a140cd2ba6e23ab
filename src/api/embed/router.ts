import express, { type Response, type Router } from 'express';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import { z } from 'zod';
import { projectionContext } from '../../activities/projection-context';
import { readContact } from '../../contacts/service';
import { connectionModel, settingsOf } from '../../db/models/connection';
import { contactArState } from '../../followups/ar';
import { loadContactSection } from '../../contacts/section';
import { embedHeaders } from './page';
import { renderContactPanel, renderProblemPage } from './panel';
import { contactSyncStatus, panelViewSchema, viewProblems, type PanelView } from './panel-view';
import { assertEmbedSecret, embedPanelPath, verifyEmbedToken } from './token';

export interface EmbedRouterOptions {
  db: () => Promise<Connection>;
  /** The secret embed tokens are signed with (see `mintEmbedToken`). */
  secret: string;
  now?: () => Date;
  log?: Logger;
}

const tokenSchema = z.object({ token: z.string().min(1).max(4096) });

const invalidLink = {
  status: 401,
  title: 'Invalid link',
  detail: 'The token in this link is not one we issued. Reload the panel from the CRM.',
};

const refusals = {
  missing: {
    status: 401,
    title: 'Sign-in required',
    detail: 'This panel needs a signed token in its URL. Reload it from the CRM.',
  },
  malformed: invalidLink,
  'bad-signature': invalidLink,
  expired: {
    status: 401,
    title: 'Link expired',
    detail: 'This panel link has expired. Reload the panel from the CRM to get a new one.',
  },
  'other-contact': { status: 403, title: 'Not allowed', detail: 'This link was issued for another contact.' },
  'other-account': {
    status: 403,
    title: 'Not allowed',
    detail: 'This link does not belong to a QuickBooks connection of your account.',
  },
  unavailable: {
    status: 503,
    title: 'QuickBooks data unavailable',
    detail: 'The QuickBooks data could not be loaded just now. Try again in a moment.',
  },
} satisfies Record<string, { status: number; title: string; detail: string }>;

function send(res: Response, status: number, body: string): void {
  res.status(status).set(embedHeaders).send(body);
}

function refuse(res: Response, why: keyof typeof refusals): void {
  const problem = refusals[why];
  // 401s name the scheme per RFC 9110; the token travels in the query string, not a header.
  if (problem.status === 401) res.set('WWW-Authenticate', 'Bearer realm="embed"');
  send(res, problem.status, renderProblemPage(problem));
}

/**
 * `GET /embed/contacts/:crmContactId/quickbooks?token=…[&type=…][&status=…][&page=…]`: the contact's QuickBooks
 * panel as a server-rendered page for a CRM's iframe. The token (minted through the API) authorises exactly one
 * account, connection and contact; the panel's own links (filters, pages) carry it along.
 */
export function createEmbedRouter(options: EmbedRouterOptions): Router {
  const now = options.now ?? (() => new Date());
  // Fail at start-up, not on the first request, when the secret is unusable.
  assertEmbedSecret(options.secret);
  const router = express.Router();
  router.get('/embed/contacts/:crmContactId/quickbooks', async (req, res) => {
    const query = tokenSchema.safeParse(req.query);
    if (!query.success) return refuse(res, 'missing');
    const at = now();
    const check = verifyEmbedToken(query.data.token, options.secret, at.getTime());
    if (!check.ok) return refuse(res, check.reason);
    const { claims } = check;
    if (req.params.crmContactId !== claims.crmContactId) return refuse(res, 'other-contact');

    const view = panelViewSchema.safeParse(req.query);
    if (!view.success) {
      const detail = viewProblems(view.error);
      return send(res, 400, renderProblemPage({ status: 400, title: 'Invalid filter', detail }));
    }
    const path = embedPanelPath(claims.crmContactId, query.data.token);
    const href = (next: Partial<PanelView>): string => {
      const params = new URLSearchParams();
      if (next.type) params.set('type', next.type);
      if (next.status) params.set('status', next.status);
      if (next.page && next.page > 1) params.set('page', String(next.page));
      const extra = params.toString();
      return extra ? `${path}&${extra}` : path;
    };

    let body: string;
    try {
      const db = await options.db();
      const connection = await connectionModel(db).findById(claims.connectionId).lean();
      // The API checked this when it minted the token; checking again keeps a reassigned id from leaking.
      if (!connection || connection.accountId !== claims.accountId) return refuse(res, 'other-account');
      // Statuses such as overdue are judged on the company's calendar, as the projection judges them.
      const { today } = projectionContext(db, connection, connection.environment, at);
      const [section, contact] = await Promise.all([
        loadContactSection(db, { connectionId: connection._id, crmContactId: claims.crmContactId, today }),
        readContact(db, connection, claims.crmContactId),
      ]);
      const { highValueThreshold } = settingsOf(connection);
      body = renderContactPanel({
        section,
        contact: contactSyncStatus(contact),
        // The same figures and tags the reminders compute for the CRM, from the transactions shown.
        ar:
          section &&
          contactArState(section.transactions, {
            today,
            homeCurrency: section.homeCurrency,
            customerCurrency: section.billingProfile.currency.code,
            ...(highValueThreshold !== null && { highValueThreshold }),
          }),
        lastSyncedAt: connection.lastPolledAt ?? null,
        now: at,
        view: view.data,
        href,
      });
    } catch (error) {
      options.log?.error(
        { err: error, connectionId: claims.connectionId },
        'embed panel could not be loaded',
      );
      return refuse(res, 'unavailable');
    }
    send(res, 200, body);
  });
  return router;
}
