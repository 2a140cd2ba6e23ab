import express, { type Response, type Router } from 'express';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import { markup, type SafeHtml } from '../html/markup';
import {
  recordOptOut,
  removeOptOut,
  resubscribePath,
  unsubscribePath,
  verifyUnsubscribeToken,
  type UnsubscribeTokenCheck,
} from '../followups/unsubscribe';

export interface UnsubscribeRouterOptions {
  db: () => Promise<Connection>;
  /** The secret reminder emails' unsubscribe links are signed with (see `unsubscribeSettings`). */
  secret: string;
  now?: () => Date;
  log?: Logger;
}

const refusals: Record<Exclude<UnsubscribeTokenCheck, { ok: true }>['reason'], string> = {
  malformed: 'This unsubscribe link is incomplete or damaged: the token in it could not be read.',
  'bad-signature':
    'This unsubscribe link was not issued by us, or was changed: its signature does not match.',
  expired: 'This unsubscribe link has expired. Use the link in a more recent reminder.',
};

// Nothing but the page itself: no scripts, no styles from elsewhere; its one form posts back here.
const pageHeaders = {
  'Content-Security-Policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
};

function page(res: Response, status: number, title: string, body: SafeHtml): void {
  res
    .status(status)
    .set(pageHeaders)
    .type('html')
    .send(
      markup`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title></head>
<body><h1>${title}</h1>
${body}
</body></html>
`.value,
    );
}

/**
 * `GET /v1/unsubscribe/:token` asks the customer to confirm (mail scanners follow links, so a GET changes nothing);
 * `POST` to the same address, from that page or as a mail client's one-click request (RFC 8058), stores the opt-out,
 * and the page it answers offers the undo: a `POST …/resubscribe` with the same token removes it. All are public
 * (the signed token is the authority) and idempotent.
 */
export function createUnsubscribeRouter(options: UnsubscribeRouterOptions): Router {
  const now = options.now ?? (() => new Date());
  const router = express.Router();
  const check = (token: string): UnsubscribeTokenCheck =>
    verifyUnsubscribeToken(token, options.secret, now().getTime());
  const refuse = (res: Response, reason: keyof typeof refusals): void =>
    page(res, 400, 'Invalid unsubscribe link', markup`<p>${refusals[reason]}</p>`);

  router.get('/v1/unsubscribe/:token', (req, res) => {
    const verified = check(req.params.token);
    if (!verified.ok) return refuse(res, verified.reason);
    page(
      res,
      200,
      'Unsubscribe from payment reminders',
      markup`<p>Stop sending payment reminder emails to ${verified.claims.email}?</p>
<form method="post" action="${unsubscribePath(req.params.token)}"><button type="submit">Unsubscribe</button></form>`,
    );
  });

  router.post('/v1/unsubscribe/:token', async (req, res) => {
    const verified = check(req.params.token);
    if (!verified.ok) return refuse(res, verified.reason);
    await recordOptOut(await options.db(), verified.claims, now());
    options.log?.info({ connectionId: verified.claims.connectionId }, 'customer unsubscribed from reminders');
    page(
      res,
      200,
      'You are unsubscribed',
      markup`<p>No more payment reminder emails will be sent to ${verified.claims.email}.</p>
<form method="post" action="${resubscribePath(req.params.token)}"><p>Changed your mind?</p><button type="submit">Resubscribe</button></form>`,
    );
  });

  router.post('/v1/unsubscribe/:token/resubscribe', async (req, res) => {
    const verified = check(req.params.token);
    if (!verified.ok) return refuse(res, verified.reason);
    const { connectionId, qboCustomerId, email } = verified.claims;
    if (await removeOptOut(await options.db(), connectionId, qboCustomerId))
      options.log?.info({ connectionId }, 'customer resubscribed to reminders');
    page(
      res,
      200,
      'You are subscribed again',
      markup`<p>Payment reminder emails will be sent to ${email} again.</p>
<form method="post" action="${unsubscribePath(req.params.token)}"><button type="submit">Unsubscribe</button></form>`,
    );
  });
  return router;
}
