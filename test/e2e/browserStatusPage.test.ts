import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { publishToDirectory } from '../../activities/publish/directory';
import { snapshotVersion } from '../../activities/publish/initial';
import { createStatusServer, type StatusServer } from '../../api/statusServer';
import { buildSnapshot } from '../../core/statuspage/snapshot';
import type { PageState } from '../../core/statuspage/types';
import { launchChromium, screenshot, watchForErrors } from '../support/browser';
import { examplePlan } from '../support/config';
import { pageState, type StateName } from '../support/pageStates';

// The published pages in real Chromium, served by the real status server (so its CSP applies):
// the status page when all is operational, during an incident and during maintenance; the
// language switch; the banner script inside a customer's page on another origin; no console errors.

const plan = examplePlan();
const TEMPLATES = join(__dirname, '..', '..', 'templates');

/**
 * WCAG 2.x contrast of every piece of visible text against the background it sits on. Plain
 * JavaScript in a string: functions compiled by tsx carry helpers the page does not have.
 */
const CONTRAST_SCRIPT = `(() => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = parse(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || el.closest('.sr-only, .skip')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || el.getClientRects().length === 0) continue;
    const fg = lum(parse(style.color));
    const bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) failures.push(ratio.toFixed(2) + ': "' + n.textContent.trim().slice(0, 40) + '" (' + style.color + ' on ' + background(el).join(',') + ')');
  }
  return failures;
})()`;

async function contrastFailures(page: Page): Promise<string[]> {
  return (await page.evaluate(CONTRAST_SCRIPT)) as string[];
}

describe('the status page in Chromium', () => {
  let browser: Browser;
  let status: StatusServer;
  let base: string;
  let host: Server;
  let hostBase: string;
  const publicDir = join(mkdtempSync(join(tmpdir(), 'herald-browser-')), 'public');

  const publish = async (state: PageState) => {
    await publishToDirectory(publicDir, buildSnapshot(plan, state, TEMPLATES), snapshotVersion());
    await status.refresh();
  };

  before(async () => {
    await publishToDirectory(publicDir, buildSnapshot(plan, pageState(plan, 'operational'), TEMPLATES), snapshotVersion());
    status = createStatusServer(publicDir, { pollMs: 20 });
    await status.ready;
    status.server.listen(0, '127.0.0.1');
    await new Promise((r) => status.server.once('listening', r));
    base = `http://127.0.0.1:${(status.server.address() as AddressInfo).port}`;
    // A customer's web app on another origin, with a strict CSP, that includes the banner script.
    host = createServer((req, res) => {
      if (req.url !== '/') return void res.writeHead(404).end();
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': `default-src 'self'; script-src ${base}; connect-src ${base}; style-src 'self'; img-src 'self' data:`,
      });
      res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme Dashboard</title><link rel="icon" href="data:,">
<script src="${base}/embed/banner.js" defer></script></head>
<body><header><h1>Acme Dashboard</h1></header><main><p>Your invoices and payments.</p></main></body></html>`);
    });
    host.listen(0, '127.0.0.1');
    await new Promise((r) => host.once('listening', r));
    hostBase = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await new Promise((r) => host.close(r));
    await status.close();
  });

  const cases: { name: StateName; overall: RegExp; expect: RegExp[] }[] = [
    {
      name: 'operational',
      overall: /All systems operational/,
      expect: [/Operational/, /Recent incidents/, /Card payments failing/],
    },
    {
      name: 'incident',
      overall: /Partial system outage/,
      expect: [
        /Active incidents/,
        /Errors on the public API/,
        /Expected resolution/,
        /Next update by/,
        /Partial outage/,
        /Degraded performance/,
      ],
    },
    {
      name: 'maintenance',
      overall: /Service under maintenance/,
      expect: [
        /Maintenance in progress/,
        /Invoicing database upgrade/,
        /Scheduled maintenance/,
        /Network maintenance/,
        /Under maintenance/,
      ],
    },
  ];
  for (const c of cases) {
    test(`the status page ${c.name === 'operational' ? 'when all is operational' : `during ${c.name === 'incident' ? 'an incident' : 'maintenance'}`}: readable, accessible, no console errors`, async () => {
      await publish(pageState(plan, c.name));
      const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
      const page = await context.newPage();
      const errors = watchForErrors(page);
      await page.goto(`${base}/`, { waitUntil: 'load' });
      assert.match(await page.locator('.overall').innerText(), c.overall);
      const body = await page.locator('body').innerText();
      for (const re of c.expect) assert.match(body, re);
      // Landmarks and headings.
      assert.equal(await page.getByRole('banner').count(), 1);
      assert.equal(await page.getByRole('main').count(), 1);
      assert.equal(await page.getByRole('contentinfo').count(), 1);
      assert.equal(await page.getByRole('heading', { level: 1 }).count(), 1);
      assert.ok((await page.getByRole('heading', { level: 2 }).count()) >= 2);
      // Every status colour comes with words; every uptime bar has a text alternative.
      for (const badge of await page
        .locator(
          '.badge.c-operational, .badge.c-degraded_performance, .badge.c-partial_outage, .badge.c-major_outage, .badge.c-under_maintenance',
        )
        .all()) {
        assert.ok((await badge.innerText()).trim().length > 0);
      }
      const bars = page.getByRole('img', { name: /% uptime over the past 90 days/ });
      assert.equal(await bars.count(), 4);
      assert.deepEqual(await contrastFailures(page), [], 'text contrast is at least WCAG AA');
      await screenshot(page, `status-${c.name}`);
      assert.deepEqual(errors(), []);
      await context.close();
    });
  }

  test('works without JavaScript and on a phone (bars shorten to 30 days)', async () => {
    await publish(pageState(plan, 'incident'));
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 375, height: 740 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    const errors = watchForErrors(page);
    await page.goto(`${base}/`);
    assert.match(await page.locator('main').innerText(), /Errors on the public API/);
    const visibleBars = await page.locator('.bars').first().locator('li:visible').count();
    assert.equal(visibleBars, 30);
    const overflow = (await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    )) as number;
    assert.ok(overflow <= 0, `no horizontal scrolling (${overflow}px)`);
    await screenshot(page, 'status-incident-mobile');
    assert.deepEqual(errors(), []);
    await context.close();
  });

  test('the language switch goes to zh-TW and back, keeping the page', async () => {
    await publish(pageState(plan, 'incident'));
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const errors = watchForErrors(page);
    await page.goto(`${base}/incidents/inc-api-errors.html`);
    await page.getByRole('link', { name: '繁體中文' }).click();
    await page.waitForURL(`${base}/zh-TW/incidents/inc-api-errors.html`);
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-TW');
    assert.match(await page.locator('h1').innerText(), /公開 API 發生錯誤/);
    await page.getByRole('link', { name: '目前狀態' }).click();
    await page.waitForURL(`${base}/zh-TW/`);
    assert.match(await page.locator('.overall').innerText(), /部分系統中斷/);
    assert.match(await page.locator('main').innerText(), /預計恢復時間/);
    assert.deepEqual(await contrastFailures(page), []);
    await screenshot(page, 'status-zh-TW');
    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForURL(`${base}/`);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.deepEqual(errors(), []);
    await context.close();
  });

  test("the banner script in a customer page on another origin: shown in the visitor's language, dismissible, back on the next update", async () => {
    await publish(pageState(plan, 'incident'));
    const context = await browser.newContext({ viewport: { width: 1000, height: 500 } });
    const page = await context.newPage();
    const errors = watchForErrors(page);
    await page.goto(`${hostBase}/`);
    const banner = page.getByRole('region', { name: 'Service status' });
    await banner.waitFor();
    const item = banner.getByRole('status');
    assert.match(await item.innerText(), /Incident: Errors on the public API — Identified/);
    assert.match(await item.innerText(), /Expected resolution: Tue, Mar 10, 12:00 UTC/);
    assert.equal(
      await banner.getByRole('link', { name: 'View status page' }).getAttribute('href'),
      'http://localhost:8080/incidents/inc-api-errors.html',
    );
    assert.deepEqual(await contrastFailures(page), []);
    await screenshot(page, 'banner-host-en');
    // Keyboard: the dismiss button is reachable and works with Enter.
    const dismiss = banner.getByRole('button', { name: /^Dismiss: Incident: Errors on the public API/ });
    await dismiss.focus();
    await page.keyboard.press('Enter');
    await banner.waitFor({ state: 'detached' });
    await page.reload();
    await page.waitForTimeout(500);
    assert.equal(await page.locator('[data-herald-banner]').count(), 0, 'a dismissed update stays dismissed');
    // A new update brings it back.
    const state = pageState(plan, 'incident');
    const incident = state.incidents.find((i) => i.id === 'inc-api-errors')!;
    incident.updates.push({
      id: 'inc-api-errors-u3',
      status: 'monitoring',
      body: 'A fix is in place and we are watching the results.',
      createdAt: '2026-03-10T09:59:00.000Z',
      affectedComponents: null,
    });
    incident.status = 'monitoring';
    await publish(state);
    await page.reload();
    await banner.waitFor();
    assert.match(await banner.innerText(), /A fix is in place/);
    assert.deepEqual(errors(), []);
    await context.close();

    const zh = await browser.newContext({ locale: 'zh-TW', viewport: { width: 1000, height: 500 } });
    const zhPage = await zh.newPage();
    const zhErrors = watchForErrors(zhPage);
    await zhPage.goto(`${hostBase}/`);
    const zhBanner = zhPage.getByRole('region', { name: '服務狀態' });
    await zhBanner.waitFor();
    assert.match(await zhBanner.innerText(), /事件：公開 API 發生錯誤/);
    assert.equal(
      await zhBanner.getByRole('link', { name: '查看狀態頁面' }).getAttribute('href'),
      'http://localhost:8080/zh-TW/incidents/inc-api-errors.html',
    );
    await screenshot(zhPage, 'banner-host-zh-TW');
    assert.deepEqual(zhErrors(), []);
    await zh.close();
  });

  test('the banner shows maintenance, and nothing at all when all is well', async () => {
    await publish(pageState(plan, 'maintenance'));
    const context = await browser.newContext({ viewport: { width: 1000, height: 500 } });
    const page = await context.newPage();
    const errors = watchForErrors(page);
    await page.goto(`${hostBase}/`);
    const banner = page.getByRole('region', { name: 'Service status' });
    await banner.waitFor();
    assert.deepEqual(
      await banner.locator('[data-herald-item]').evaluateAll((els) => els.map((e) => e.getAttribute('data-level'))),
      ['maintenance', 'scheduled'],
    );
    await screenshot(page, 'banner-host-maintenance');
    await publish(pageState(plan, 'operational'));
    await page.reload();
    await page.waitForTimeout(500);
    assert.equal(await page.locator('[data-herald-banner]').count(), 0);
    assert.deepEqual(errors(), []);
    await context.close();
  });

  test('the feeds are well-formed XML with an entry per incident and maintenance', async () => {
    await publish(pageState(plan, 'maintenance'));
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    for (const [path, entry] of [
      ['/history.atom', 'entry'],
      ['/history.rss', 'item'],
      ['/zh-TW/history.atom', 'entry'],
    ] as const) {
      const result = (await page.evaluate(
        `fetch(${JSON.stringify(path)}).then((r) => r.text()).then((xml) => { const doc = new DOMParser().parseFromString(xml, 'application/xml'); return { errors: doc.getElementsByTagName('parsererror').length, entries: doc.getElementsByTagName(${JSON.stringify(entry)}).length }; })`,
      )) as { errors: number; entries: number };
      assert.deepEqual(result, { errors: 0, entries: 4 }, path);
    }
    await page.close();
  });

  test('the 503 error page and the maintenance page stand alone', async () => {
    await publish(pageState(plan, 'maintenance'));
    const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
    const page = await context.newPage();
    const errors = watchForErrors(page);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${base}/maintenance.html`);
    assert.match(await page.locator('body').innerText(), /Invoicing database upgrade/);
    assert.match(await page.locator('body').innerText(), /帳單資料庫升級/);
    assert.deepEqual(requests, [`${base}/maintenance.html`], 'nothing else is loaded');
    assert.deepEqual(await contrastFailures(page), []);
    await screenshot(page, 'maintenance-page');
    await page.goto(`${base}/503.html`);
    await screenshot(page, 'error-503');
    assert.deepEqual(errors(), []);
    await context.close();
  });
});
