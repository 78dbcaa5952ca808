// Shared by the portal's page scripts (verify-page.js, audit-page.js): the page's JSON data,
// its texts, Beijing time, and the list of checks a WitnessVerify report carries. Builds
// the DOM with textContent only (never innerHTML): report texts come from files users open.
(function () {
  'use strict';

  function pageData() {
    const node = document.getElementById('page-data');
    return node ? JSON.parse(node.textContent) : {};
  }

  // fmt('hashing', {done: 1}) → the page language's text with {name} filled in.
  function texts(data) {
    const table = data.text || {};
    return function fmt(key, values) {
      const text = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : key;
      return text.replace(/\{(\w+)\}/g, (all, name) =>
        values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all);
    };
  }

  // An RFC 3339 string or Unix seconds, shown in Beijing time (UTC+8) as 2026-03-11 09:00:00.
  function beijing(value) {
    const ms = typeof value === 'number' ? value * 1000 : Date.parse(value);
    if (value === null || value === undefined || !Number.isFinite(ms)) {
      return value === null || value === undefined ? '' : String(value);
    }
    const d = new Date(ms + 8 * 3600 * 1000);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
      `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  }

  function pick(data, zh, en) {
    return data.lang === 'en' ? (en || zh || '') : (zh || en || '');
  }

  // Fill <ul> with one <li data-check data-status> per check: title, status, where, detail.
  function renderChecks(list, checks, data, fmt) {
    list.replaceChildren();
    const counts = { ok: 0, failed: 0, skipped: 0 };
    for (const check of checks || []) {
      counts[check.status] = (counts[check.status] || 0) + 1;
      const li = document.createElement('li');
      li.dataset.check = check.id;
      li.dataset.status = check.status;
      const title = document.createElement('span');
      title.className = 'check-title';
      title.textContent = (data.checks && data.checks[check.id]) ||
        pick(data, check.title_zh, check.title) || check.id;
      const status = document.createElement('span');
      status.className = 'check-status';
      status.textContent = fmt('status.' + check.status) +
        (check.status === 'skipped' ? '' : '（' + fmt('where_browser') + '）');
      li.append(title, status);
      const detail = pick(data, check.detail_zh, check.detail);
      if (detail) {
        const small = document.createElement('span');
        small.className = 'check-detail';
        small.textContent = detail;
        li.append(small);
      }
      list.append(li);
    }
    return counts;
  }

  // The detail of a problem+json answer, else the HTTP status.
  async function problemText(response) {
    try {
      const body = await response.json();
      if (body && typeof body.detail === 'string') return body.detail;
    } catch (e) { /* not JSON */ }
    return 'HTTP ' + response.status;
  }

  async function fetchJson(url) {
    const response = await fetch(url, { credentials: 'same-origin',
      headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(await problemText(response));
    return response;
  }

  window.WitnessPage = { pageData, texts, beijing, pick, renderChecks, problemText, fetchJson };
})();
