import express, { Router } from 'express';
import type { Store } from '../../core/store';
import { verifyUnsubscribeToken } from '../../core/store/unsubscribe';
import { Problem } from '../problem';

// Signed one-click unsubscribe (RFC 8058), the target of every message's unsubscribe link and of
// e-mail's List-Unsubscribe header: GET shows a confirmation page with one button (link scanners
// that follow GETs unsubscribe nobody); POST — the button, or a mail client sending
// "List-Unsubscribe=One-Click" — records the opt-out. Tokens are HMACs under HERALD_SECRET naming the
// subscriber and channel, so there is nothing to guess and no login.

export interface UnsubscribeRouteDeps {
  store?: Store;
  secret?: string;
  pageName: string;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const page = (title: string, body: string) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#111827}button{font-size:1rem;padding:.6rem 1.2rem;background:#1d4ed8;color:#fff;border:0;border-radius:4px;cursor:pointer}</style></head>
<body><h1>${esc(title)}</h1>${body}</body></html>
`;

export function unsubscribeRoutes({ store, secret, pageName }: UnsubscribeRouteDeps): Router {
  const router = Router();
  const verify = (t: unknown) => {
    if (!store || !secret) throw new Problem(404, 'Not found', 'unsubscribe links are not served by this API');
    const claim = typeof t === 'string' ? verifyUnsubscribeToken(secret, t) : undefined;
    if (!claim)
      throw new Problem(
        400,
        'Invalid unsubscribe link',
        'the link is incomplete or was changed; use the link from the message as it is',
      );
    return claim;
  };

  router.get('/unsubscribe', async (req, res) => {
    const claim = verify(req.query.t);
    const subscriber = await store!.getSubscriber(claim.subscriberId);
    res.set({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    if (!subscriber) throw new Problem(404, 'Not found', 'this subscription no longer exists');
    if (subscriber.consent.state === 'unsubscribed') {
      res.type('html').send(page('You are unsubscribed', `<p>You no longer receive ${esc(pageName)} notifications.</p>`));
      return;
    }
    res.type('html').send(
      page(
        `Unsubscribe from ${pageName}`,
        `<p>Stop receiving incident and maintenance notifications from ${esc(pageName)}?</p>
<form method="post" action="?t=${esc(String(req.query.t))}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
      ),
    );
  });

  router.post('/unsubscribe', express.urlencoded({ extended: false, limit: '2kb' }), async (req, res) => {
    const claim = verify(req.query.t);
    const found = await store!.setConsent(claim.subscriberId, 'unsubscribed');
    if (!found) throw new Problem(404, 'Not found', 'this subscription no longer exists');
    res.set('cache-control', 'no-store');
    if (req.accepts(['json', 'html']) === 'html')
      res.type('html').send(page('You are unsubscribed', `<p>You will no longer receive ${esc(pageName)} notifications.</p>`));
    else res.json({ unsubscribed: true });
  });
  return router;
}
