// The committed IIFE bundle (witness_api/portal/static/js/witness-verify.js) in a bare
// context with only what a browser provides: it defines WitnessVerify and gives the
// catalogue's verdicts.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import vm from 'node:vm';

import { loadVectors, runBundleCase, runReceiptCase } from '../tools/catalogue.mjs';

const BUNDLE = new URL('../../witness_api/portal/static/js/witness-verify.js', import.meta.url);

function browserContext() {
  const context = vm.createContext({ TextEncoder, TextDecoder, atob, btoa, AbortSignal, Response,
    Uint8Array, console });
  context.window = context;
  vm.runInContext(readFileSync(BUNDLE, 'utf8'), context, { filename: 'witness-verify.js' });
  return context;
}

test('the bundle defines WitnessVerify with the contract\'s functions', () => {
  const { WitnessVerify } = browserContext();
  for (const name of ['verifyReceipt', 'verifyBundle', 'sha256Blob']) {
    assert.equal(typeof WitnessVerify[name], 'function', name);
  }
});

test('the bundle gives the catalogue\'s verdicts', async () => {
  const api = browserContext().WitnessVerify;
  const receipts = loadVectors('receipts.json');
  for (const name of ['sealed/intact-with-bid-file', 'anchored/proof-sibling-flipped', 'pending/accepted-not-checkpointed',
    'v2-anchored/intact', 'v2-pending/neighbours-leaf', 'v2-anchored/promise-batch-beyond-2^64']) {
    const c = receipts.cases.find((k) => k.name === name);
    const { report } = await runReceiptCase(receipts, c, api);
    assert.equal(report.verdict, c.expected.verdict, name);
  }
  const bundles = loadVectors('bundles.json');
  for (const c of bundles.cases.slice(0, 4)) {
    const { report } = await runBundleCase(bundles, c, api);
    assert.equal(report.verdict, c.expected.verdict, c.name);
  }
});
