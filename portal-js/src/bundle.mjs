// Checking a project bundle (witness-bundle/v1) in the browser, as verifier/bundle_check.py
// does: every checkpoint's signature with the pinned key, forks (two roots for one size),
// consistency between consecutive checkpoints, every event's canonical bytes → leaf →
// inclusion proof against the proof checkpoint, the per-project chain (seq gap-free from 0,
// every prev link right) up to the signed project head, the sealed records against their
// opening, and each checkpoint's anchor on chain; with a timeline row per event.

import { FormatError, equal, fromBase64, toBase64, toHex } from './bytes.mjs';
import { ChainContext, checkAnchor } from './anchor.mjs';
import { parseBundle } from './bundle_parse.mjs';
import { decodeEnvelope, envelopePrev, isSealed } from './envelope.mjs';
import { consistencyError, inclusionError, leafHash } from './merkle.mjs';
import { SignatureError, isCanonicalUint64Text } from './note.mjs';
import { KeyRotationError, trustedKeys, zhDetail } from './logkeys.mjs';
import { parsePolicy } from './policy.mjs';
import { checkWitnesses, further } from './receipt.mjs';
import { Report } from './report.mjs';
import { BundleSeals } from './seals.mjs';

const HEAD_HEADER = 'witness-project-head/v1';
const ZERO_HASH = new Uint8Array(32);

function reason(err) {
  if (err instanceof FormatError || err instanceof SignatureError) return err.message;
  throw err;
}

/** Verified checkpoints by size (first note of each size), with their anchor references. */
function checkpoints(report, bundle, policy, keys) {
  const out = new Map();
  for (const entry of bundle.checkpoints) {
    let cp;
    try {
      cp = keys.openCheckpoint(entry.note, policy.origin);
    } catch (err) {
      if (err instanceof KeyRotationError) {
        report.fail('key_rotation', `checkpoint note: ${err.message}`, zhDetail(err));
      } else {
        report.fail('checkpoint_signature', `checkpoint note: ${reason(err)}`, `检查点签名无效：${zhDetail(err)}`);
      }
      continue;
    }
    const seen = out.get(cp.size);
    if (seen && !equal(seen.root, cp.root)) {
      report.fail('consistency_proof', `fork: two roots signed for size ${cp.size}: ` +
        `${toHex(seen.root)} and ${toHex(cp.root)}`, `分叉：同一规模 ${cp.size} 签有两个不同的根`);
    }
    if (!seen) out.set(cp.size, { ...cp, note: entry.note, anchor: entry.anchor });
  }
  if (!report.failed('checkpoint_signature')) {
    report.ok('checkpoint_signature', `${out.size} checkpoint(s) signed by a trusted log key`,
      `${out.size} 个检查点均由受信的日志公钥签名`);
  }
  return out;
}

function consistency(report, bundle, cps) {
  const proofs = new Map(bundle.consistency.map((c) => [`${c.from}-${c.to}`, c.proof]));
  const sizes = [...cps.keys()].sort((a, b) => a - b);
  for (let k = 1; k < sizes.length; k++) {
    const [a, b] = [sizes[k - 1], sizes[k]];
    const proof = proofs.get(`${a}-${b}`);
    const why = proof === undefined ? 'no consistency proof'
      : consistencyError(a, b, cps.get(a).root, cps.get(b).root, proof);
    if (why) report.fail('consistency_proof', `from size ${a} to ${b}: ${why}`, `规模 ${a} 到 ${b} 的一致性证明不成立：${why}`);
  }
  report.ok('consistency_proof', `${sizes.length} checkpoint(s), each extending the one before`,
    `${sizes.length} 个检查点前后一致`);
}

/** One event: leaf, envelope, origin and project, inclusion; [envelope or null, result]. */
function checkEvent(report, bundle, ev, target) {
  const calculated = leafHash(ev.canonical);
  if (ev.leaf !== null && !equal(calculated, ev.leaf)) {
    report.fail('leaf_hash', `index ${ev.index}: event bytes do not hash to the leaf listed`,
      `第 ${ev.index} 号事件字节的哈希与所列叶哈希不同`);
    return [null, 'FAIL payload'];
  }
  let env;
  try {
    env = decodeEnvelope(ev.canonical);
    if (!isSealed(env)) envelopePrev(env);
    if (!isSealed(env) && !Number.isSafeInteger(env.project_seq)) throw new FormatError('project_seq has the wrong type');
    if (typeof env.event_id !== 'string') throw new FormatError('event_id has the wrong type');
  } catch (err) {
    report.fail('jcs', `index ${ev.index}: event bytes are not a valid envelope: ${reason(err)}`,
      `第 ${ev.index} 号事件不是有效的规范编码信封：${reason(err)}`);
    return [null, 'FAIL payload'];
  }
  if (env.origin !== bundle.origin || env.project_id !== bundle.projectId) {
    report.fail('project_chain', `index ${ev.index}: event is for another log or project`,
      `第 ${ev.index} 号事件属于其他日志或项目`);
    return [env, 'FAIL origin'];
  }
  if (target === undefined) return [env, 'unproven'];
  const why = inclusionError(ev.index, target.size, calculated, ev.proof, target.root);
  if (why) {
    report.fail('inclusion_proof', `index ${ev.index}: ${why}`, `第 ${ev.index} 号事件的包含证明不成立`);
    return [env, 'FAIL inclusion'];
  }
  return [env, 'ok'];
}

function chainLink(report, ev, env, last) {
  const seq = env.project_seq;
  const [expSeq, expPrev] = last === null ? [0, ZERO_HASH] : [last.seq + 1, last.leaf];
  const fail = (en, zh) => {
    report.fail('project_chain', `index ${ev.index} (${env.event_id}): ${en}`, `第 ${ev.index} 号事件：${zh}`);
    return 'FAIL sequence';
  };
  if (last !== null && ev.index <= last.index) return fail(`out of log order after ${last.index}`, '日志顺序错误');
  if (seq !== expSeq) {
    return seq > expSeq
      ? fail(`project seq ${seq} follows ${expSeq - 1}: ${seq - expSeq} event(s) missing before it`,
        `项目序号 ${seq} 之前缺少 ${seq - expSeq} 个事件`)
      : fail(`project seq ${seq} where ${expSeq} was expected`, `项目序号 ${seq}，应为 ${expSeq}`);
  }
  if (!equal(envelopePrev(env), expPrev)) return fail('prev does not name the project\'s previous event', '前序链接不指向项目的上一个事件');
  return null;
}

function timelineRow(index, env, result) {
  if (env === null) return { index, result };
  const row = { index, project_seq: env.project_seq ?? null, event_id: env.event_id, type: env.type,
    section_id: env.section_id ?? null, occurred_at: env.occurred_at, received_at: env.received_at, result };
  if (isSealed(env)) row.seal = env.seal;
  return row;
}

/** Events of a project bundle; the last link (seq, leaf, index) of its public chain. */
function events(report, bundle, target) {
  let last = null;
  const seals = new BundleSeals(report, bundle);
  report.timeline = [];
  for (const ev of bundle.events) {
    let [env, result] = checkEvent(report, bundle, ev, target);
    if (env !== null && !isSealed(env)) {
      result = chainLink(report, ev, env, last) ?? result;
      last = { seq: env.project_seq, leaf: leafHash(ev.canonical), index: ev.index };
    }
    const row = timelineRow(ev.index, env, result);
    report.timeline.push(row);
    if (env !== null) seals.see(ev.index, env, row);
  }
  seals.finish();
  eventsOk(report, bundle, target, ['jcs', 'leaf_hash', 'inclusion_proof', 'project_chain']);
  return last;
}

function eventsOk(report, bundle, target, ids) {
  const n = bundle.events.length;
  for (const id of ids) {
    if (id === 'inclusion_proof' && target === undefined) {
      report.skip(id, 'no proof checkpoint to prove against', '无证明检查点可供核对');
    } else {
      report.ok(id, `${n} event(s)`, `${n} 个事件`);
    }
  }
}

/** The head a ``witness-project-head/v1`` body states, read as strictly as the Python
 * reader: decimals below 2^64 without a leading zero, the leaf in its one base64 spelling
 * of 32 bytes, non-empty origin and project id. A number beyond 2^53 stays a BigInt: it
 * then equals no size or index of a bundle, as it could not in any real log. */
function parseHead(body) {
  const lines = body.split('\n');
  if (lines.length !== 8 || lines[0] !== HEAD_HEADER || lines[7] !== '') {
    throw new FormatError('bundle head is not a witness-project-head/v1 note');
  }
  for (const [at, name] of [[3, 'seq'], [5, 'index'], [6, 'size']]) {
    if (!isCanonicalUint64Text(lines[at])) {
      throw new FormatError(`bundle head note has a bad field: ${name} must be a decimal number below 2^64`);
    }
  }
  const leaf = fromBase64(lines[4], 'head leaf');
  if (leaf.length !== 32 || toBase64(leaf) !== lines[4]) {
    throw new FormatError('bundle head note has a bad field: leaf is not 32 bytes of base64');
  }
  if (!lines[1] || !lines[2]) throw new FormatError('bundle head note has a bad field: empty origin or project id');
  return { origin: lines[1], projectId: lines[2], seq: headNumber(lines[3]), leaf,
    index: headNumber(lines[5]), size: headNumber(lines[6]) };
}

function headNumber(text) {
  const n = BigInt(text);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function head(report, bundle, keys, last, evidenceOnly) {
  let h;
  try {
    h = parseHead(keys.open(bundle.head));
  } catch (err) {
    report.fail('project_head', `project head: ${reason(err)}`, `项目末端签名无效：${zhDetail(err)}`);
    return;
  }
  if (h.origin !== bundle.origin || h.projectId !== bundle.projectId || h.size !== bundle.proofSize) {
    report.fail('project_head', 'the signed project head is for another log, project or size',
      '签名的项目末端属于其他日志、项目或规模');
  } else if (!evidenceOnly && (last === null || last.seq !== h.seq || last.index !== h.index ||
      !equal(last.leaf, h.leaf))) {
    const have = last === null ? 'nothing' : `seq ${last.seq} at index ${last.index}`;
    report.fail('project_head', `the signed head of the project is seq ${h.seq} at index ${h.index}; ` +
      `the bundle ends with ${have}: the trail is cut short`, `项目末端签名为第 ${h.seq} 号事件，包却止于此前：记录被截短`);
  } else {
    report.subject.head = { project_seq: h.seq, index: h.index };
    report.ok('project_head', `last event: seq ${h.seq} at index ${h.index}`, `最后事件：序号 ${h.seq}（第 ${h.index} 号）`);
  }
}

async function anchors(report, cps, policy, opts) {
  const ctx = new ChainContext(policy, opts);
  const anchoredAt = new Map();
  for (const [size, cp] of [...cps].sort((a, b) => a[0] - b[0])) {
    const anchor = await checkAnchor(report, ctx, size, cp.root, cp.anchor);
    if (anchor) anchoredAt.set(size, anchor);
    if (anchor && size === report.subject.proof_size) report.anchor = anchor;
  }
  if (!cps.size) report.skip('anchor_on_chain', 'no signed checkpoint to look up', '无已签名的检查点可查');
  further(report, policy);
  return anchoredAt;
}

/** Verify a project bundle (or the shared parts of a lead package) against the pinned policy. */
export async function verifyBundle(input, opts = {}) {
  const policy = parsePolicy(opts.policy);
  const report = new Report();
  let bundle;
  try {
    bundle = parseBundle(input);
  } catch (err) {
    report.fail('format', reason(err), `文件格式不正确：${reason(err)}`);
    return report.toJSON();
  }
  report.subject = { project_id: bundle.projectId, origin: bundle.origin, kind: bundle.kind,
    events: bundle.events.length, proof_size: bundle.proofSize };
  if (bundle.origin !== policy.origin) {
    report.fail('format', `bundle is for log ${bundle.origin}, the policy trusts ${policy.origin}`,
      `该包属于日志 ${bundle.origin}，信任策略固定的是 ${policy.origin}`);
    return report.toJSON();
  }
  const keys = trustedKeys(report, policy);
  if (keys === null) return report.toJSON();
  const cps = checkpoints(report, bundle, policy, keys);
  consistency(report, bundle, cps);
  const target = cps.get(bundle.proofSize);
  if (target === undefined) {
    report.fail('checkpoint_signature', `no validly signed checkpoint of the proof size ${bundle.proofSize}`,
      `包中没有规模 ${bundle.proofSize} 的有效签名检查点`);
  }
  for (const [size, cp] of cps) checkWitnesses(report, policy, cp.note, size, { require: size === bundle.proofSize });
  const anchoredAt = await anchors(report, cps, policy, opts);
  if (bundle.kind === 'lead') return leadPackage(report, bundle, keys, target, anchoredAt);
  const last = events(report, bundle, target);
  head(report, bundle, keys, last, false);
  stampAnchors(report, anchoredAt);
  return report.toJSON();
}

/** Each timeline row's anchor time: the block time of the first anchored checkpoint after it. */
function stampAnchors(report, anchoredAt) {
  const sizes = [...anchoredAt.keys()].sort((a, b) => a - b);
  for (const row of report.timeline ?? []) {
    const size = sizes.find((s) => s > row.index);
    if (size !== undefined) row.anchored_at = anchoredAt.get(size).block_timestamp;
  }
}

function leadPackage(report, bundle, keys, target, anchoredAt) {
  report.timeline = [];
  let previous = -1;
  for (const ev of bundle.events) {
    let [env, result] = checkEvent(report, bundle, ev, target);
    if (ev.index <= previous) {
      report.fail('project_chain', `events out of log order or repeated: index ${ev.index}`, `第 ${ev.index} 号事件顺序错误或重复`);
      result = 'FAIL sequence';
    }
    previous = Math.max(previous, ev.index);
    report.timeline.push(timelineRow(ev.index, env, result));
  }
  eventsOk(report, bundle, target, ['jcs', 'leaf_hash', 'inclusion_proof']);
  head(report, bundle, keys, null, true);
  report.skip('lead_package', 'the lead\'s statements, its package signature and governance receipts ' +
    'are checked by witness-verify, not in the browser', '线索声明、线索包签名及移送回执需用 witness-verify 核验');
  stampAnchors(report, anchoredAt);
  return report.toJSON();
}
