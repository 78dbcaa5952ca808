// Every case of the tamper catalogues (tests/vectors/receipts.json, bundles.json) through
// the browser verifier: the verdict and failing check the catalogue names, Chinese details,
// and no request but the chain's JSON-RPC reads.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { failedIds, loadVectors, runBundleCase, runReceiptCase } from '../tools/catalogue.mjs';

export function assertCase(c, { report, seen }) {
  const failed = failedIds(report);
  assert.equal(report.verdict, c.expected.verdict, `${c.name}: ${report.reason} (failed: ${failed})`);
  if (c.expected.verdict === 'inconsistent') {
    assert.ok(failed.includes(c.expected.check), `${c.name}: ${c.expected.check} not in ${failed}`);
  } else if (c.expected.check) {
    const check = report.checks.find((k) => k.id === c.expected.check);
    assert.equal(check?.status, 'skipped', `${c.name}: ${c.expected.check} should wait`);
  }
  assert.ok(report.reason && report.reason_zh);
  for (const check of report.checks) {
    assert.equal(check.where, 'browser');
    assert.ok(['ok', 'failed', 'skipped'].includes(check.status));
    if (check.detail) assert.ok(check.detail_zh, `${c.name}: ${check.id} has no Chinese detail`);
  }
  assert.ok(seen.every((m) => ['eth_chainId', 'eth_call', 'eth_getBlockByNumber',
    'eth_getTransactionReceipt'].includes(m)), `${c.name}: asked ${seen}`);
}

const receipts = loadVectors('receipts.json');
for (const c of receipts.cases) {
  test(`receipt ${c.name}`, async () => assertCase(c, await runReceiptCase(receipts, c)));
}

const bundles = loadVectors('bundles.json');
for (const c of bundles.cases) {
  test(`bundle ${c.name}`, async () => assertCase(c, await runBundleCase(bundles, c)));
}

test('the catalogues name at least 20 corruptions', () => {
  const bad = [...receipts.cases, ...bundles.cases].filter((c) => c.expected.verdict === 'inconsistent');
  assert.ok(bad.length >= 20, `${bad.length}`);
});

test('an intact receipt shows its anchor and event in the report', async () => {
  const c = receipts.cases.find((k) => k.name === 'sealed/intact-with-bid-file');
  const { report } = await runReceiptCase(receipts, c);
  assert.deepEqual(Object.keys(report.anchor).sort(), ['block_number', 'block_timestamp', 'chain_id', 'tx_hash']);
  assert.equal(report.subject.seal, 'bidding');
  assert.equal(report.subject.file_sha256, receipts.bid_file.sha256);
});
