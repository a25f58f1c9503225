import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router, type Request, type Response } from 'express';
import type { Plan } from '../../core/plan/schema';
import { DEFAULT_TEMPLATES_DIR } from '../../core/render';
import { fill, label, negotiateLocale, type Labels } from '../../core/statuspage/locale';
import type { Store, Subscriber } from '../../core/store';
import { validateSubscriber } from '../../core/store/subscribers';
import { verifyUnsubscribeToken } from '../../core/store/unsubscribe';
import { Problem } from '../problem';

// Signed one-click unsubscribe (RFC 8058) and the preferences page, in the reader's language (the
// subscriber's locale, else the browser's). Every message links both: GET /unsubscribe shows a
// confirmation with one button (link scanners that follow GETs unsubscribe nobody); POST — the
// button, or a mail client sending "List-Unsubscribe=One-Click" — records the opt-out. GET
// /preferences shows the services followed and the language; POST saves them. Tokens are HMACs under
// HERALD_SECRET naming the subscriber and channel, so there is nothing to guess and no login.

export interface UnsubscribeRouteDeps {
  store?: Store;
  secret?: string;
  plan: Plan;
  templatesDir?: string;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const labelCache = new Map<string, Labels>();
function labelsFor(templatesDir: string, locale: string): Labels {
  const key = `${templatesDir}\0${locale}`;
  let labels = labelCache.get(key);
  if (!labels) {
    const read = (l: string): Labels => {
      try {
        return JSON.parse(readFileSync(join(templatesDir, 'subscriptions', 'locales', `${l}.json`), 'utf8')) as Labels;
      } catch {
        return {};
      }
    };
    labels = { ...read('en'), ...read(locale) };
    labelCache.set(key, labels);
  }
  return labels;
}

function page(locale: string, title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="${esc(locale)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${esc(title)}</title>
<style>body{font-family:system-ui,'Noto Sans TC','PingFang TC','Microsoft JhengHei',sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#111827;line-height:1.5}button{font-size:1rem;padding:.6rem 1.2rem;background:#1d4ed8;color:#fff;border:0;border-radius:4px;cursor:pointer}button.secondary{background:#fff;color:#b91c1c;border:1px solid #b91c1c}fieldset{border:1px solid #d1d5db;border-radius:4px;margin:0 0 1rem}label{display:block;margin:.25rem 0}a{color:#1d4ed8}</style></head>
<body><main><h1>${esc(title)}</h1>${body}</main></body></html>
`;
}

export function unsubscribeRoutes({ store, secret, plan, templatesDir = DEFAULT_TEMPLATES_DIR }: UnsubscribeRouteDeps): Router {
  const router = Router();
  const pageName = plan.page.name;

  /** The reader's language: the subscriber's, else the browser's among the page's locales. */
  const localeOf = (req: Request, subscriber?: Subscriber) => {
    const own = subscriber?.locale;
    if (own && plan.page.locales.includes(own)) return own;
    return negotiateLocale(req.get('accept-language'), plan.page.locales, plan.page.defaultLocale);
  };
  const words = (locale: string) => {
    const t = labelsFor(templatesDir, locale);
    return (key: string, vars: Record<string, string> = {}) => esc(fill(label(t, key), vars));
  };
  const wantsHtml = (req: Request) => req.accepts(['json', 'html']) === 'html';

  /** Refuses a bad or stale link: a page in the reader's language for browsers, problem details otherwise. */
  const refuse = (req: Request, res: Response, status: 400 | 404, key: 'invalid' | 'gone'): void => {
    if (!wantsHtml(req)) {
      if (status === 400)
        throw new Problem(
          400,
          'Invalid unsubscribe link',
          'the link is incomplete or was changed; use the link from the message as it is',
        );
      throw new Problem(404, 'Not found', 'this subscription no longer exists');
    }
    const locale = localeOf(req);
    const w = words(locale);
    res
      .status(status)
      .type('html')
      .send(page(locale, w(`${key}Title`), `<p>${w(`${key}Body`)}</p>`));
  };

  /** The signed claim and its subscriber, or undefined once the refusal is sent. */
  const claimed = async (req: Request, res: Response) => {
    if (!store || !secret) throw new Problem(404, 'Not found', 'unsubscribe links are not served by this API');
    res.set({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    const token = typeof req.query.t === 'string' ? req.query.t : '';
    const claim = token ? verifyUnsubscribeToken(secret, token) : undefined;
    if (!claim) return refuse(req, res, 400, 'invalid');
    const subscriber = await store.getSubscriber(claim.subscriberId);
    if (!subscriber) return refuse(req, res, 404, 'gone');
    return { token, claim, subscriber };
  };

  const channelName = (w: ReturnType<typeof words>, channel: string) => w(`channel.${channel}`);

  router.get('/unsubscribe', async (req, res) => {
    const c = await claimed(req, res);
    if (!c) return;
    const locale = localeOf(req, c.subscriber);
    const w = words(locale);
    if (c.subscriber.consent.state === 'unsubscribed') {
      res.type('html').send(page(locale, w('unsubscribedTitle'), `<p>${w('alreadyUnsubscribed', { page: pageName })}</p>`));
      return;
    }
    const t = encodeURIComponent(c.token);
    res.type('html').send(
      page(
        locale,
        w('unsubscribeTitle', { page: pageName }),
        `<p>${w('unsubscribeQuestion', { page: pageName, channel: channelName(w, c.claim.channel) })}</p>
<form method="post" action="?t=${t}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">${w('unsubscribeButton')}</button></form>
<p><a href="preferences?t=${t}">${w('preferencesLink')}</a></p>`,
      ),
    );
  });

  router.post('/unsubscribe', express.urlencoded({ extended: false, limit: '2kb' }), async (req, res) => {
    const c = await claimed(req, res);
    if (!c) return;
    await store!.setConsent(c.claim.subscriberId, 'unsubscribed');
    if (wantsHtml(req)) {
      const locale = localeOf(req, c.subscriber);
      const w = words(locale);
      res.type('html').send(page(locale, w('unsubscribedTitle'), `<p>${w('unsubscribedBody', { page: pageName })}</p>`));
    } else res.json({ unsubscribed: true });
  });

  const preferencesPage = (locale: string, token: string, s: Subscriber, note = '') => {
    const w = words(locale);
    const t = encodeURIComponent(token);
    const address = s.email ?? s.phone ?? s.chat ?? s.webhook ?? '';
    const all = s.components === '*';
    const follows = (id: string) => all || (Array.isArray(s.components) && s.components.includes(id));
    const languages = plan.page.locales
      .map((l) => {
        const name = label(labelsOfPage(templatesDir, l), 'languageName');
        return `<label><input type="radio" name="locale" value="${esc(l)}"${(s.locale ?? plan.page.defaultLocale) === l ? ' checked' : ''}> <span lang="${esc(l)}">${esc(name === 'languageName' ? l : name)}</span></label>`;
      })
      .join('\n');
    const components = plan.components
      .map((c) => {
        const name = c.name[locale] ?? c.name[plan.page.defaultLocale] ?? c.id;
        return `<label><input type="checkbox" name="components" value="${esc(c.id)}"${!all && follows(c.id) ? ' checked' : ''}> ${esc(name)}</label>`;
      })
      .join('\n');
    return page(
      locale,
      w('preferencesTitle', { page: pageName }),
      `${note}<p>${w('preferencesIntro', { address })}</p>
<form method="post" action="preferences?t=${t}">
<fieldset><legend>${w('language')}</legend>
${languages}
</fieldset>
<fieldset><legend>${w('components')}</legend>
<label><input type="checkbox" name="all" value="1"${all ? ' checked' : ''}> ${w('allComponents')}</label>
${components}
</fieldset>
<button type="submit">${w('save')}</button>
</form>
<form method="post" action="unsubscribe?t=${t}" style="margin-top:2rem"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit" class="secondary">${w('stopAll')}</button></form>`,
    );
  };

  router.get('/preferences', async (req, res) => {
    const c = await claimed(req, res);
    if (!c) return;
    res.type('html').send(preferencesPage(localeOf(req, c.subscriber), c.token, c.subscriber));
  });

  router.post('/preferences', express.urlencoded({ extended: false, limit: '8kb' }), async (req, res) => {
    const c = await claimed(req, res);
    if (!c) return;
    const body = req.body as { locale?: string; all?: string; components?: string | string[] };
    const wantedLocale =
      typeof body.locale === 'string' && plan.page.locales.includes(body.locale) ? body.locale : c.subscriber.locale;
    const known = new Set(plan.components.map((x) => x.id));
    const picked = ([] as string[]).concat(body.components ?? []).filter((id) => known.has(id));
    const locale = wantedLocale && plan.page.locales.includes(wantedLocale) ? wantedLocale : localeOf(req, c.subscriber);
    if (body.all !== '1' && picked.length === 0) {
      const w = words(locale);
      res
        .status(422)
        .type('html')
        .send(preferencesPage(locale, c.token, c.subscriber, `<p role="alert"><strong>${w('pickOne')}</strong></p>`));
      return;
    }
    const s = c.subscriber;
    const row = validateSubscriber(
      {
        id: s.id,
        email: s.email,
        phone: s.phone,
        push: s.push,
        webhook: s.webhook,
        chat: s.chat,
        internal: s.internal,
        attributes: s.attributes,
        locale: wantedLocale,
        components: body.all === '1' ? '*' : [...new Set(picked)],
      },
      1,
      known,
    );
    if (!row.ok) throw new Problem(422, 'Preferences not saved', row.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
    await store!.upsertSubscribers([row.value]);
    const w = words(locale);
    if (!wantsHtml(req)) {
      res.json({ saved: true, locale: wantedLocale ?? null, components: row.value.components });
      return;
    }
    res
      .type('html')
      .send(
        page(
          locale,
          w('savedTitle'),
          `<p>${w('savedBody')}</p><p><a href="preferences?t=${encodeURIComponent(c.token)}">${w('backToPreferences')}</a></p>`,
        ),
      );
  });
  return router;
}

/** The status page's own labels (for each language's name in its own words). */
function labelsOfPage(templatesDir: string, locale: string): Labels {
  const key = `page\0${templatesDir}\0${locale}`;
  let labels = labelCache.get(key);
  if (!labels) {
    try {
      labels = JSON.parse(readFileSync(join(templatesDir, 'pages', 'locales', `${locale}.json`), 'utf8')) as Labels;
    } catch {
      labels = {};
    }
    labelCache.set(key, labels);
  }
  return labels;
}
