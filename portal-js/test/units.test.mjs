// Unit checks of the pieces the catalogues do not reach: streamed file hashing, strict JSON,
// an unreachable chain, a frozen log, and policies the verifier must refuse.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';

import { CHUNK_SIZE, sha256Blob } from '../src/filehash.mjs';
import { checkNamesAndDepth, decodeCanonical } from '../src/json.mjs';
import { utf8 } from '../src/bytes.mjs';
import { parsePolicy } from '../src/policy.mjs';
import { verifyReceipt } from '../src/index.mjs';
import { loadVectors, replayFetch, runReceiptCase } from '../tools/catalogue.mjs';

/** A Blob stand-in of ``size`` bytes generated on demand, recording each slice it serves. */
function lazyBlob(size, slices) {
  const byteAt = (i) => (i * 31 + 7) & 0xff;
  return { size, slice(start, end) {
    slices.push(end - start);
    return { arrayBuffer: async () => Uint8Array.from({ length: end - start }, (_, k) => byteAt(start + k)).buffer };
  } };
}

test('sha256Blob streams 4 MiB slices and matches SHA-256 of the whole', async () => {
  const size = 2 * CHUNK_SIZE + 12345;
  const slices = [];
  const progress = [];
  const hex = await sha256Blob(lazyBlob(size, slices), (done, total) => progress.push([done, total]));
  const whole = Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff);
  assert.equal(hex, createHash('sha256').update(whole).digest('hex'));
  assert.deepEqual(slices, [CHUNK_SIZE, CHUNK_SIZE, 12345]);
  assert.deepEqual(progress.at(-1), [size, size]);
  assert.equal(await sha256Blob(new Blob([])), createHash('sha256').digest('hex'));
});

test('strict JSON: repeated names and deep nesting are refused', () => {
  assert.throws(() => checkNamesAndDepth('{"index":1,"index":2}'), /duplicate key 'index'/);
  assert.throws(() => checkNamesAndDepth('{"a":{"b":1,"\\u0062":2}}'), /duplicate key 'b'/);
  assert.doesNotThrow(() => checkNamesAndDepth('{"a":"x\\",\\"a","b":[{"a":1}]}'));
  assert.throws(() => checkNamesAndDepth('['.repeat(65) + ']'.repeat(65)), /deeper than 64/);
  assert.throws(() => decodeCanonical(utf8('{"a":9007199254740993}')), /canonical|2\^53/);
  assert.throws(() => decodeCanonical(utf8('{"a":"\\ud800"}')), /surrogate/i);
  assert.throws(() => decodeCanonical(Uint8Array.of(0x7b, 0xff, 0x7d)), /UTF-8/);
});

const receipts = loadVectors('receipts.json');
const anchoredCase = receipts.cases.find((c) => c.name === 'anchored/intact');

test('a receipt with a repeated key is refused as malformed', async () => {
  const text = JSON.stringify(receipts.receipts.anchored).replace('"index":3', '"index":3,"index":4');
  const report = await verifyReceipt(text, { policy: receipts.policy });
  assert.equal(report.verdict, 'inconsistent');
  assert.equal(report.checks[0].id, 'format');
});

test('no chain endpoint, or an unreachable one: pending, never intact', async () => {
  const offline = await verifyReceipt(receipts.receipts.anchored, { policy: receipts.policy });
  assert.equal(offline.verdict, 'pending');
  const down = async () => { throw new TypeError('fetch failed'); };
  const report = await verifyReceipt(receipts.receipts.anchored,
    { policy: receipts.policy, rpc: receipts.rpc_url, fetch: down });
  assert.equal(report.verdict, 'pending');
  assert.match(report.checks.find((c) => c.id === 'anchor_on_chain').detail, /unreachable/);
});

test('a frozen log: anchors up to the last good checkpoint count, later ones fail', async () => {
  const frozenAfter = (index) => {
    const rpc = structuredClone(receipts.rpc);
    rpc.frozen_state.result = '0x' + '1'.padStart(64, '0') + index.toString(16).padStart(64, '0');
    return rpc;
  };
  for (const [lastGood, verdict] of [[0, 'intact'], [1, 'intact']]) {
    const rpc = frozenAfter(lastGood);
    const report = await verifyReceipt(receipts.receipts.anchored, { policy: receipts.policy,
      rpc: receipts.rpc_url, fetch: replayFetch(receipts.rpc_url, rpc) });
    assert.equal(report.verdict, verdict);
  }
  const rpc = frozenAfter(0);
  const sealed = await verifyReceipt(receipts.receipts.sealed, { policy: receipts.policy,
    rpc: receipts.rpc_url, fetch: replayFetch(receipts.rpc_url, rpc) });
  assert.equal(sealed.verdict, 'inconsistent'); // anchored as #1, after the freeze point #0
});

test('a policy requiring a further chain leaves an anchored receipt pending', async () => {
  const policy = { ...receipts.policy, format: 'witness-trust/v2', chains: [{ chain_id: 31337,
    registry: '0x' + '12'.repeat(20), log_id: '0x' + '34'.repeat(32), required: true }] };
  const { report } = await runReceiptCase({ ...receipts, policy }, anchoredCase);
  assert.equal(report.verdict, 'pending');
  assert.equal(report.checks.at(-1).id, 'further_chains');
});

test('bad policies are refused with an exception, not a verdict', () => {
  const p = receipts.policy;
  assert.throws(() => parsePolicy({ ...p, format: 'witness-trust/v9' }), /witness-trust/);
  assert.throws(() => parsePolicy({ ...p, log_key: p.log_key.replace(/\+[0-9a-f]{8}\+/, '+00000000+') }), /hash/);
  assert.throws(() => parsePolicy({ ...p, chains: [] }), /chains needs/);
  assert.throws(() => parsePolicy({ ...p, witness_quorum: 2 }), /quorum/);
  assert.throws(() => parsePolicy(JSON.stringify(p).replace('"origin"', '"origin":"x","origin"')), /duplicate/);
});
