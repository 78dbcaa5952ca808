// Checking one receipt (witness-receipt/v1 or v2, docs/formats.md §4) in the browser: what
// verifier/receipt_check.py does, check by check. Nothing of the receipt or the bid file
// leaves the browser; the only requests are the chain's JSON-RPC reads.

import { FormatError, equal, fromBase64, fromHex, isUint, toHex, utf8 } from './bytes.mjs';
import { ChainContext, checkAnchor, parseAnchorRef } from './anchor.mjs';
import { batchProofError, parseBatchPromise, plain } from './batch.mjs';
import { decodeEnvelope } from './envelope.mjs';
import { isObject, parseStrict } from './json.mjs';
import { inclusionError, leafHash } from './merkle.mjs';
import { SignatureError, countCosignatures, isCanonicalUint64Text } from './note.mjs';
import { KeyRotationError, trustedKeys, zhDetail } from './logkeys.mjs';
import { parsePolicy } from './policy.mjs';
import { Report } from './report.mjs';
import { sha256Blob } from './filehash.mjs';

export const RECEIPT_FORMAT = 'witness-receipt/v1';
/** One signed promise per committed batch; the receipt carries its path in the batch. */
export const RECEIPT_FORMAT_V2 = 'witness-receipt/v2';
const MAX_RECEIPT_SIZE = 1024 * 1024;
const MAX_ANCHORS = 16;

function hashList(list, what) {
  if (!Array.isArray(list) || list.length > 64) throw new FormatError(`${what} must be a list of at most 64 hashes`);
  return list.map((h) => fromHex(h, 32, `${what} hash`));
}

function parseAnchored(obj) {
  if (obj === null) return null;
  if (!isObject(obj) || typeof obj.checkpoint !== 'string') {
    throw new FormatError('anchored proof needs a checkpoint note');
  }
  const more = obj.anchors ?? [];
  if (!Array.isArray(more) || more.length > MAX_ANCHORS) {
    throw new FormatError(`anchors must be a list of at most ${MAX_ANCHORS} objects`);
  }
  return { checkpoint: obj.checkpoint, proof: hashList(obj.inclusion_proof, 'inclusion_proof'),
    anchor: parseAnchorRef(obj.anchor, 'receipt: anchored.anchor'),
    anchors: more.map((a, k) => parseAnchorRef(a, `receipt: anchored.anchors.${k}`)) };
}

/** The receipt's parts, decoded strictly (FormatError naming the defect). */
export function parseReceipt(input) {
  if (typeof input === 'string' && input.length > MAX_RECEIPT_SIZE) {
    throw new FormatError(`receipt is larger than ${MAX_RECEIPT_SIZE} bytes`);
  }
  const obj = typeof input === 'string' ? parseStrict(input, 'receipt') : input;
  if (!isObject(obj) || ![RECEIPT_FORMAT, RECEIPT_FORMAT_V2].includes(obj.format)) {
    throw new FormatError(`not a ${RECEIPT_FORMAT} or ${RECEIPT_FORMAT_V2} receipt`);
  }
  if (!isUint(obj.index)) throw new FormatError('receipt index must be a non-negative integer');
  if (typeof obj.origin !== 'string' || typeof obj.canonical_event !== 'string') {
    throw new FormatError('receipt origin and canonical_event must be strings');
  }
  if (typeof obj.promise !== 'string') throw new FormatError('receipt promise must be a signed note');
  if (!obj.canonical_event.isWellFormed()) throw new FormatError('canonical_event is not valid Unicode text');
  return { origin: obj.origin, index: obj.index, leaf: fromHex(obj.leaf_hash, 32, 'leaf_hash'),
    event: utf8(obj.canonical_event), promise: obj.promise, anchored: parseAnchored(obj.anchored ?? null),
    batchProof: parseBatchProof(obj) };
}

// v2 needs ``batch_proof``; v1 must not have one (a reader could not tell which promise
// format the signature is over). null: a v1 receipt.
function parseBatchProof(obj) {
  if (obj.format === RECEIPT_FORMAT) {
    if (Object.hasOwn(obj, 'batch_proof')) throw new FormatError(`a ${RECEIPT_FORMAT} receipt has no batch_proof`);
    return null;
  }
  if (!Array.isArray(obj.batch_proof) || obj.batch_proof.length > 64) {
    throw new FormatError('batch_proof must be a list of at most 64 hashes');
  }
  return obj.batch_proof.map((h) => fromHex(h, 32, 'batch proof hash'));
}

function parsePromise(body) {
  const lines = body.split('\n');
  if (lines.length !== 7 || lines[0] !== RECEIPT_FORMAT || lines[6] !== '') {
    throw new FormatError('not a witness receipt promise');
  }
  const [, origin, index, leaf, receivedAt, mmd] = lines;
  if (!isCanonicalUint64Text(index) || !isCanonicalUint64Text(mmd)) {
    throw new FormatError('promise index and MMD must be decimal numbers below 2^64 without ' +
      'leading zeros');
  }
  const leafHashBytes = fromBase64(leaf, 'promise leaf hash');
  if (leafHashBytes.length !== 32) throw new FormatError('promise leaf hash is not 32 bytes');
  return { origin, index: BigInt(index), leaf: leafHashBytes, receivedAt, mmd: Number(mmd) };
}

function problem(err) {
  if (err instanceof FormatError || err instanceof SignatureError) return err.message;
  throw err;
}

const PROMISE_OK = ['signed by a trusted log key (the pinned one or one its rotations reach)',
  '由受信的日志公钥签名（固定公钥或经有效轮换交接的公钥）'];

// A promise may be signed by any trusted key: a receipt fetched again after a rotation
// carries a promise signed by the new key (no size window, as ledger/core/receipt.py).
function checkPromise(report, receipt, keys) {
  if (receipt.batchProof !== null) {
    checkBatchPromise(report, receipt, keys);
    return;
  }
  try {
    const promise = parsePromise(keys.open(receipt.promise));
    if (promise.origin !== receipt.origin || promise.index !== BigInt(receipt.index) ||
        !equal(promise.leaf, receipt.leaf)) {
      report.fail('promise_signature', 'the signed promise is for another origin, index or leaf',
        '签名承诺所述的日志、序号或叶哈希与回执不符');
      return;
    }
    report.subject.promised_at = promise.receivedAt;
    report.subject.mmd_seconds = promise.mmd;
    report.ok('promise_signature', ...PROMISE_OK);
  } catch (err) {
    report.fail('promise_signature', problem(err), `受理承诺签名无效：${zhDetail(err)}`);
  }
}

// v2: the promise signs a batch; the receipt's path must put its leaf at its offset there.
function checkBatchPromise(report, receipt, keys) {
  let batch;
  try {
    batch = parseBatchPromise(keys.open(receipt.promise));
  } catch (err) {
    report.fail('promise_signature', problem(err), `受理承诺签名无效：${zhDetail(err)}`);
    return;
  }
  if (batch.origin !== receipt.origin) {
    report.fail('promise_signature', 'the signed batch promise is for another origin',
      '签名的批次承诺属于另一个日志');
    return;
  }
  Object.assign(report.subject, { promised_at: batch.receivedAt, mmd_seconds: batch.mmd,
    batch_first: plain(batch.first), batch_count: plain(batch.count) });
  report.ok('promise_signature', ...PROMISE_OK);
  const why = batchProofError(batch, receipt.index, receipt.leaf, receipt.batchProof);
  if (why) report.fail('batch_proof', ...why);
  else {
    const nth = receipt.index - Number(batch.first) + 1;
    report.ok('batch_proof', `leaf ${receipt.index} is entry ${nth} of the ${batch.count} the signed batch commits to`,
      `第 ${receipt.index} 号叶是签名批次 ${batch.count} 条中的第 ${nth} 条`);
  }
}

function checkEvent(report, receipt) {
  let env = null;
  try {
    env = decodeEnvelope(receipt.event);
    if (env.origin !== receipt.origin) throw new FormatError('event envelope is for another origin');
    report.ok('jcs', 'canonical envelope (RFC 8785)', '事件为规范编码 (RFC 8785)');
  } catch (err) {
    report.fail('jcs', problem(err), `事件字节不是有效的规范编码：${problem(err)}`);
    env = null;
  }
  const calculated = leafHash(receipt.event);
  if (equal(calculated, receipt.leaf)) {
    report.ok('leaf_hash', toHex(calculated), toHex(calculated));
  } else {
    report.fail('leaf_hash', `event bytes hash to ${toHex(calculated)}, receipt names ${toHex(receipt.leaf)}`,
      '事件字节的哈希与回执所列叶哈希不同（内容被改动）');
  }
  return env;
}

function checkProof(report, receipt, policy, keys) {
  if (receipt.anchored === null) {
    const en = 'accepted (signed promise), not yet in a checkpoint';
    const zh = '已受理（有签名承诺），尚未纳入检查点';
    report.skip('checkpoint_signature', en, zh);
    report.skip('inclusion_proof', en, zh);
    return null;
  }
  let cp;
  try {
    cp = keys.openCheckpoint(receipt.anchored.checkpoint, policy.origin);
    report.ok('checkpoint_signature', `checkpoint of size ${cp.size}`, `检查点规模 ${cp.size}`);
  } catch (err) {
    if (err instanceof KeyRotationError) {
      report.fail('key_rotation', err.message, zhDetail(err));
    } else {
      report.fail('checkpoint_signature', problem(err), `检查点签名无效：${zhDetail(err)}`);
    }
    report.skip('inclusion_proof', 'no valid checkpoint to prove against', '无有效检查点可供证明');
    return null;
  }
  const why = inclusionError(receipt.index, cp.size, receipt.leaf, receipt.anchored.proof, cp.root);
  if (why) report.fail('inclusion_proof', why, `包含证明不成立：${why}`);
  else report.ok('inclusion_proof', `leaf ${receipt.index} is in the tree of size ${cp.size}`,
    `第 ${receipt.index} 号叶位于规模 ${cp.size} 的树中`);
  report.subject.checkpoint_size = cp.size;
  return cp;
}

/** The policy's witness quorum on one checkpoint note (nothing when it lists no witness). */
export function checkWitnesses(report, policy, note, size, { require = true } = {}) {
  if (!policy.witnesses.length) return;
  const { valid, invalid } = countCosignatures(note, policy.witnesses);
  for (const name of invalid) {
    report.fail('witness_cosignatures', `checkpoint ${size}: the cosignature of witness ${name} ` +
      'does not verify over this checkpoint', `检查点 ${size}：见证方 ${name} 的联署签名无效`);
  }
  if (!require) return;
  if (valid.length < policy.quorum) {
    report.fail('witness_cosignatures', `checkpoint ${size} is cosigned by ${valid.length} of the ` +
      `trusted witnesses (${valid.join(', ') || 'none'}); the policy requires ${policy.quorum}`,
      `检查点 ${size} 仅有 ${valid.length} 个受信见证方联署，信任策略要求 ${policy.quorum} 个`);
  } else {
    report.ok('witness_cosignatures', `cosigned by ${valid.join(', ')}`, `联署见证方：${valid.join('、')}`);
  }
}

async function checkBidFile(report, env, opts) {
  const id = 'bid_file_sha256';
  if (!opts.bidFile) {
    report.skip(id, 'no bid file given', '未提供投标文件', { pending: false });
    return;
  }
  if (report.anyFailed() || env === null) {
    report.skip(id, 'not hashed: the receipt itself failed', '回执本身未通过核验，未计算文件哈希', { pending: false });
    return;
  }
  const actual = await sha256Blob(opts.bidFile, opts.onProgress);
  report.subject.file_sha256 = actual;
  const recorded = isObject(env.payload) ? env.payload.file_hash : undefined;
  if (typeof recorded !== 'string') {
    report.fail(id, `the event (${env.type}) records no file hash`, `该事件（${env.type}）未记录文件哈希`);
  } else if (recorded.toLowerCase() !== actual) {
    report.fail(id, `your file hashes to ${actual}, the ledger recorded ${recorded}`,
      '您的文件哈希与见证链记录的不同：不是所投递的那份文件');
  } else {
    report.ok(id, actual, '文件哈希与见证链记录一致');
  }
}

const SUBJECT_FIELDS = ['event_id', 'type', 'project_id', 'section_id', 'project_seq', 'seal',
  'occurred_at', 'received_at'];

/** Verify a receipt against the pinned policy; opts: {policy, bidFile, rpc, onProgress}. */
export async function verifyReceipt(input, opts = {}) {
  const policy = parsePolicy(opts.policy);
  const report = new Report();
  let receipt;
  try {
    receipt = parseReceipt(input);
  } catch (err) {
    report.fail('format', problem(err), `回执格式不正确：${problem(err)}`);
    return report.toJSON();
  }
  report.subject = { index: receipt.index, origin: receipt.origin };
  if (receipt.origin !== policy.origin) {
    report.fail('promise_signature', `receipt is for log ${receipt.origin}, the policy trusts ${policy.origin}`,
      `回执属于日志 ${receipt.origin}，信任策略固定的是 ${policy.origin}`);
    return report.toJSON();
  }
  const keys = trustedKeys(report, policy);
  if (keys === null) return report.toJSON();
  checkPromise(report, receipt, keys);
  const env = checkEvent(report, receipt);
  for (const k of SUBJECT_FIELDS) if (env && k in env) report.subject[k] = env[k];
  const cp = checkProof(report, receipt, policy, keys);
  if (cp) checkWitnesses(report, policy, receipt.anchored.checkpoint, cp.size);
  await checkBidFile(report, env, opts);
  await checkChain(report, receipt, policy, opts, cp);
  return report.toJSON();
}

async function checkChain(report, receipt, policy, opts, cp) {
  if (report.anyFailed()) {
    report.skip('anchor_on_chain', 'not asked: the receipt already failed', '回执已未通过核验，未查询链上记录');
    return;
  }
  if (cp === null) {
    report.skip('anchor_on_chain', 'not yet in a checkpoint: fetch the upgraded receipt later',
      '尚未纳入检查点：稍后获取升级后的回执');
    return;
  }
  const ctx = new ChainContext(policy, opts);
  const anchor = await checkAnchor(report, ctx, cp.size, cp.root, receipt.anchored.anchor);
  if (anchor) report.anchor = anchor;
  further(report, policy);
}

/** Further chains of a v2 policy are not asked from the browser (witness-verify checks them). */
export function further(report, policy) {
  if (!policy.chains.length) return;
  const required = policy.chains.some((c) => c.required);
  report.skip('further_chains', 'the further chains of the policy are checked by witness-verify, ' +
    'not in the browser', '信任策略所列的其他链需用 witness-verify 核验，浏览器内不核对', { pending: required });
}
