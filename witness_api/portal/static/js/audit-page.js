// 完整性审计: fetches the project bundle with the session (GET /v1/projects/{id}/bundle) and
// checks it in the browser with WitnessVerify.verifyBundle; the timeline rows are marked with
// each event's result. On the printable report the audit runs as the page opens.
(function () {
  'use strict';
  const P = window.WitnessPage;
  const data = P.pageData();
  const fmt = P.texts(data);
  const $ = (id) => document.getElementById(id);

  function say(text) { $('audit-status').textContent = text; }

  function markRows(timeline) {
    let ok = 0;
    for (const row of timeline || []) {
      if (row.result === 'ok') ok += 1;
      for (const tr of document.querySelectorAll('tr.event[data-index="' + row.index + '"]')) {
        tr.dataset.audit = row.result;
      }
    }
    return ok;
  }

  function render(report) {
    const box = $('audit-report');
    box.dataset.verdict = report.verdict;
    $('audit-verdict').textContent = fmt('audit_verdict.' + report.verdict);
    const count = (report.timeline || []).length;
    const ok = markRows(report.timeline);
    const reason = P.pick(data, report.reason_zh, report.reason);
    $('audit-reason').textContent = [reason, fmt('audit_events', { count, ok })]
      .filter(Boolean).join(' ');
    P.renderChecks($('audit-checks'), report.checks, data, fmt);
    box.hidden = false;
  }

  async function audit() {
    const button = $('audit-button');
    if (button) button.disabled = true;
    try {
      say(fmt('loading_policy'));
      const policy = await (await P.fetchJson(data.policy_url)).json();
      say(fmt('audit_fetching'));
      let text;
      try {
        const url = '/v1/projects/' + encodeURIComponent(data.project_id) + '/bundle';
        text = await (await P.fetchJson(url)).text();
      } catch (e) {
        say(fmt('audit_unavailable', { reason: e.message || String(e) }));
        return;
      }
      say(fmt('audit_running'));
      render(await window.WitnessVerify.verifyBundle(text, { policy, rpc: data.rpc }));
      say(fmt('done'));
    } catch (e) {
      say(fmt('failed', { reason: e.message || String(e) }));
    } finally {
      if (button) button.disabled = false;
    }
  }

  const button = $('audit-button');
  if (button) button.addEventListener('click', audit);
  if (data.autorun) audit();
})();
