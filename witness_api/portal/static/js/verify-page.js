// 回执核验: checks a receipt in the browser with WitnessVerify.verifyReceipt. The receipt and
// the bid file are read locally; the only requests are the trust policy, the chain JSON-RPC
// the page names and, for a logged-in bidder upgrading a pending receipt, its own receipt.
(function () {
  'use strict';
  const P = window.WitnessPage;
  const data = P.pageData();
  const fmt = P.texts(data);
  const $ = (id) => document.getElementById(id);
  let policy = null;
  let current = null; // {index} of the receipt shown

  function say(text) { $('verify-status').textContent = text; }

  async function loadPolicy() {
    if (policy === null) {
      policy = await (await P.fetchJson(data.policy_url)).json();
    }
    return policy;
  }

  async function receiptText() {
    const file = $('receipt-file').files[0];
    return file ? await file.text() : $('receipt-text').value.trim();
  }

  function leafOf(text) {
    try { return JSON.parse(text).leaf_hash; } catch (e) { return undefined; }
  }

  function setField(name, value) {
    const cell = document.querySelector('#receipt-fields td[data-field="' + name + '"]');
    if (cell) cell.textContent = value === undefined || value === null ? '' : String(value);
  }

  // The batch the signed promise covers (v2), once its signature held; v1: one per event.
  function batchText(s) {
    if (s.batch_count === undefined) return s.promised_at === undefined ? '' : fmt('batch_v1');
    if (s.batch_count === 1) return fmt('batch_one', { first: s.batch_first });
    // BigInt: the promise's numbers reach 2^64 (the report gives them as text past 2^53)
    const last = BigInt(s.batch_first) + BigInt(s.batch_count) - 1n;
    return fmt('batch', { first: s.batch_first, last: last, count: s.batch_count });
  }

  function showFields(report) {
    const s = report.subject || {};
    const a = report.anchor || null;
    setField('received_at', P.beijing(s.received_at));
    setField('type', s.type ? (data.event_labels[s.type] || s.type) : '');
    setField('project_id', s.project_id);
    setField('index', s.index);
    setField('batch', batchText(s));
    setField('block_number', a ? a.block_number : fmt('not_anchored'));
    setField('tx_hash', a && a.tx_hash ? a.tx_hash : '');
    setField('block_time', a ? P.beijing(a.block_timestamp) : '');
  }

  function showVerdict(report, text) {
    const box = $('verdict');
    box.dataset.verdict = report.verdict;
    $('verdict-text').textContent = fmt('verdict.' + report.verdict);
    let reason = P.pick(data, report.reason_zh, report.reason);
    if (data.prefill && report.subject) {
      const same = report.subject.index === data.prefill.index && leafOf(text) === data.prefill.leaf;
      reason = (reason ? reason + ' ' : '') + fmt(same ? 'prefill_match' : 'prefill_mismatch');
    }
    $('verdict-reason').textContent = reason;
    box.hidden = false;
  }

  function render(report, text) {
    showVerdict(report, text);
    showFields(report);
    const counts = P.renderChecks($('checks'), report.checks, data, fmt);
    $('checks-summary').textContent = fmt('summary', { ran: counts.ok + counts.failed,
      ok: counts.ok, failed: counts.failed, skipped: counts.skipped });
    $('details').hidden = false;
    current = report.subject && Number.isInteger(report.subject.index) ? report.subject : null;
    $('upgrade').hidden = !(report.verdict === 'pending' && current);
    $('upgrade-help').hidden = true;
  }

  async function check(text) {
    const progress = $('hash-progress');
    progress.value = 0;
    say(fmt('verifying'));
    const bid = $('bid-file').files[0];
    const report = await window.WitnessVerify.verifyReceipt(text, {
      policy: await loadPolicy(), bidFile: bid || undefined, rpc: data.rpc,
      onProgress: (done, total) => {
        progress.value = total ? Math.round((100 * done) / total) : 100;
        say(fmt('hashing', { done, total }));
      },
    });
    render(report, text);
    say(fmt('done'));
    return report;
  }

  async function onVerify() {
    const button = $('verify-button');
    const text = await receiptText();
    if (!text) { say(fmt('no_receipt')); return; }
    button.disabled = true;
    try {
      await check(text);
    } catch (e) {
      say(fmt(policy === null ? 'policy_failed' : 'failed', { reason: e.message || String(e) }));
    } finally {
      button.disabled = false;
    }
  }

  async function onUpgrade() {
    if (data.upgrade !== 'session' || !current) { $('upgrade-help').hidden = false; return; }
    say(fmt('upgrading'));
    try {
      const url = data.receipt_url.replace('{index}', String(current.index));
      const text = await (await P.fetchJson(url)).text();
      const report = await check(text);
      if (report.verdict === 'pending') say(fmt('upgrade_unchanged'));
    } catch (e) {
      say(fmt('upgrade_failed', { reason: e.message || String(e) }));
    }
  }

  $('verify-button').addEventListener('click', onVerify);
  $('upgrade-button').addEventListener('click', onUpgrade);
  $('receipt-file').addEventListener('change', () => { $('receipt-text').value = ''; });
})();
