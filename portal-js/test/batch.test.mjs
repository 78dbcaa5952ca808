// Receipt v2 in the browser verifier: the batch promise read strictly (numbers up to 2^64,
// one spelling each), batch proofs against RFC 9162's own recursive definition, and what
// the report shows of an intact v2 receipt.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { batchProofError, parseBatchPromise } from '../src/batch.mjs';
import { FormatError, toBase64, utf8 } from '../src/bytes.mjs';
import { leafHash, nodeHash } from '../src/merkle.mjs';
import { loadVectors, runReceiptCase } from '../tools/catalogue.mjs';

const ROOT = toBase64(new Uint8Array(32).fill(7));
const body = (first, count, mmd = '86400') =>
  `witness-receipt/v2\nexample/log\n${first}\n${count}\n${ROOT}\n2025-03-27T09:00:00+08:00\n${mmd}\n`;

test('batch promise numbers: canonical decimals, the batch ending at 2^64 at most', () => {
  const max = (1n << 64n) - 1n;
  assert.equal(parseBatchPromise(body(max, 1)).first, max);
  assert.equal(parseBatchPromise(body(0, 1)).count, 1n);
  for (const [first, count, mmd] of [[max, 2], [0, 0], ['00', 1], ['07', 1], [1, '01'],
    [1, 1, '01'], [1n << 64n, 1], ['+1', 1], ['1e3', 1], [' 1', 1], ['١', 1]]) {
    assert.throws(() => parseBatchPromise(body(first, count, mmd)), FormatError, `${first} ${count} ${mmd}`);
  }
  assert.throws(() => parseBatchPromise(body(1, 1).replace(ROOT, ROOT.slice(0, -4))), FormatError);
  assert.throws(() => parseBatchPromise(`${body(1, 1)}\n`), FormatError);
  assert.throws(() => parseBatchPromise(body(1, 1).replace('v2', 'v1')), FormatError);
});

// RFC 9162 §2.1.1 and §2.1.3.1, as written there: the reference the verifier is checked against.
function mth(leaves) {
  if (leaves.length === 1) return leaves[0];
  const k = 2 ** Math.floor(Math.log2(leaves.length - 1));
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

function path(m, leaves) {
  if (leaves.length === 1) return [];
  const k = 2 ** Math.floor(Math.log2(leaves.length - 1));
  return m < k ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))]
    : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

test('every offset of batches of 1 to 20 events, and no neighbouring offset', () => {
  for (let n = 1; n <= 20; n++) {
    const leaves = Array.from({ length: n }, (_, i) => leafHash(utf8(`event ${i}`)));
    const batch = { first: 1000n, count: BigInt(n), root: mth(leaves) };
    for (let m = 0; m < n; m++) {
      const proof = path(m, leaves);
      assert.equal(batchProofError(batch, 1000 + m, leaves[m], proof), null, `${m} of ${n}`);
      for (const other of [m - 1, m + 1].filter((o) => o >= 0 && o < n)) {
        assert.notEqual(batchProofError(batch, 1000 + other, leaves[m], proof), null, `${m}→${other} of ${n}`);
      }
    }
    assert.match(batchProofError(batch, 1000 + n, leaves[0], path(0, leaves))[0], /outside the signed batch/);
    assert.match(batchProofError(batch, 999, leaves[0], path(0, leaves))[1], /不在签名批次/);
  }
});

test('an intact v2 receipt shows its batch, and its batch proof as a browser check', async () => {
  const receipts = loadVectors('receipts.json');
  const c = receipts.cases.find((k) => k.name === 'v2-anchored/intact');
  const { report } = await runReceiptCase(receipts, c);
  assert.equal(report.verdict, 'intact');
  assert.equal(report.subject.batch_first, 4);
  assert.equal(report.subject.batch_count, 3);
  const check = report.checks.find((k) => k.id === 'batch_proof');
  assert.equal(check.status, 'ok');
  assert.equal(check.title_zh, '批次证明（事件在签名批次中的位置）');
  assert.match(check.detail_zh, /第 5 号叶是签名批次 3 条中的第 2 条/);
  const v1 = await runReceiptCase(receipts, receipts.cases.find((k) => k.name === 'anchored/intact'));
  assert.equal(v1.report.checks.find((k) => k.id === 'batch_proof'), undefined);
  assert.equal(v1.report.subject.batch_count, undefined);
});
