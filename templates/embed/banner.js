/*! Herald status banner. Include on any page:
 *    <script src="https://status.example.com/embed/banner.js" defer></script>
 *  Optional attributes: data-locale="zh-TW" (otherwise the visitor's browser language),
 *  data-target="#element-id" (otherwise the banner goes first in <body>), data-src (banner.json URL).
 *  No dependencies, no cookies; dismissals are kept in localStorage per incident update. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !window.fetch) return;
  var src = script.getAttribute('data-src') || script.src.replace(/banner\.js(\?.*)?$/, 'banner.json');
  var forcedLocale = script.getAttribute('data-locale');
  var targetSelector = script.getAttribute('data-target');
  var STORE = 'herald-banner-dismissed';
  var REFRESH_MS = 60000;
  var COLOURS = {
    critical: { bg: '#b3261e', fg: '#ffffff' },
    major: { bg: '#a63f06', fg: '#ffffff' },
    minor: { bg: '#ffe08a', fg: '#3d2a00' },
    maintenance: { bg: '#1d4fc4', fg: '#ffffff' },
    scheduled: { bg: '#e7eefc', fg: '#143a91' }
  };
  var root = null;
  var lastBody = '';

  function pickLocale(available, fallback) {
    var wanted = forcedLocale ? [forcedLocale] : (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || '']);
    for (var i = 0; i < wanted.length; i++) {
      var tag = String(wanted[i]).toLowerCase();
      for (var j = 0; j < available.length; j++) if (available[j].toLowerCase() === tag) return available[j];
      var lang = tag.split('-')[0];
      for (var k = 0; k < available.length; k++) if (available[k].toLowerCase().split('-')[0] === lang) return available[k];
    }
    return fallback;
  }

  function dismissed() {
    try { return JSON.parse(window.localStorage.getItem(STORE) || '{}') || {}; } catch (e) { return {}; }
  }
  function remember(item) {
    var all = dismissed();
    all[item.id] = item.update_id;
    try { window.localStorage.setItem(STORE, JSON.stringify(all)); } catch (e) { /* private mode: dismiss for this page view only */ }
  }

  function el(tag, styles, text) {
    var node = document.createElement(tag);
    for (var k in styles) node.style[k] = styles[k];
    if (text) node.textContent = text;
    return node;
  }

  function render(doc) {
    var locale = pickLocale(doc.locales || [], doc.default_locale || 'en');
    var labels = (doc.labels && doc.labels[locale]) || {};
    var gone = dismissed();
    var items = (doc.items || []).filter(function (item) { return gone[item.id] !== item.update_id && item.text && (item.text[locale] || item.text[doc.default_locale]); });
    if (root && root.parentNode) root.parentNode.removeChild(root);
    root = null;
    if (!items.length) return;
    root = el('section', { margin: '0', padding: '0', fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans TC", sans-serif', fontSize: '15px', lineHeight: '1.45' });
    root.setAttribute('aria-label', labels.region || 'Service status');
    root.setAttribute('lang', locale);
    root.setAttribute('data-herald-banner', '');
    items.forEach(function (item) {
      var text = item.text[locale] || item.text[doc.default_locale];
      var colour = COLOURS[item.level] || COLOURS.minor;
      var row = el('div', { display: 'flex', alignItems: 'flex-start', gap: '12px', padding: '10px 16px', background: colour.bg, color: colour.fg, borderBottom: '1px solid rgba(0,0,0,.15)' });
      row.setAttribute('role', 'status');
      row.setAttribute('data-herald-item', item.id);
      row.setAttribute('data-level', item.level);
      var body = el('div', { flex: '1 1 auto', minWidth: '0' });
      body.appendChild(el('strong', { display: 'block', fontWeight: '700' }, text.title + ' — ' + text.status));
      if (text.message) body.appendChild(el('span', { display: 'block' }, text.message));
      var link = el('a', { color: colour.fg, textDecoration: 'underline', fontWeight: '600' }, text.details || labels.details || 'Status');
      link.href = text.url;
      body.appendChild(link);
      var close = el('button', { flex: 'none', background: 'transparent', color: colour.fg, border: '2px solid currentColor', borderRadius: '4px', font: 'inherit', fontWeight: '700', lineHeight: '1', padding: '4px 8px', cursor: 'pointer' }, '\u00d7');
      close.type = 'button';
      close.setAttribute('aria-label', (labels.dismiss || 'Dismiss') + ': ' + text.title);
      close.title = labels.dismiss || 'Dismiss';
      close.addEventListener('click', function () {
        remember(item);
        row.parentNode && row.parentNode.removeChild(row);
        if (root && !root.querySelector('[data-herald-item]')) { root.parentNode && root.parentNode.removeChild(root); root = null; }
      });
      row.appendChild(body);
      row.appendChild(close);
      root.appendChild(row);
    });
    var target = targetSelector ? document.querySelector(targetSelector) : null;
    if (target) target.appendChild(root);
    else document.body.insertBefore(root, document.body.firstChild);
  }

  function load() {
    fetch(src, { cache: 'no-cache', credentials: 'omit' })
      .then(function (res) { return res.ok ? res.text() : Promise.reject(new Error('status ' + res.status)); })
      .then(function (body) {
        if (body === lastBody) return;
        lastBody = body;
        render(JSON.parse(body));
      })
      .catch(function () { /* the status page being unreachable must never break the host page */ });
  }

  function start() {
    load();
    window.setInterval(load, REFRESH_MS);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
