// A signed checkpoint against the registry on chain, as verifier/anchor_check.py checks it.
// The chain id, registry and log id are the pinned ones; the anchor reference is only a
// pointer whose every field is compared with the policy and the chain. With no reference,
// the chain is searched for the signed size. Another root on chain for the signed size is a
// fork. A log the registry froze is followed only as far as its last good checkpoint.

import { FormatError, equal, fromHex, isUint, toHex } from './bytes.mjs';
import { ChainUnavailable, Registry, emittedAnchor, findSize } from './rpc.mjs';

const ID = 'anchor_on_chain';
const HASH = /^(0x)?[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const FIELDS = ['chain_id', 'registry', 'log_id', 'chain_index', 'tree_size', 'root', 'tx_hash',
  'block_number', 'block_hash', 'block_timestamp'];
const NO_GOOD_CHECKPOINT = (1n << 256n) - 1n;

/** The anchor reference of a receipt or bundle checkpoint, decoded strictly (or null). */
export function parseAnchorRef(obj, where) {
  if (obj === null || obj === undefined) return null;
  if (typeof obj !== 'object' || Array.isArray(obj)) throw new FormatError(`${where} must be an object`);
  const missing = FIELDS.filter((k) => !(k in obj));
  if (missing.length) throw new FormatError(`${where} lacks ${missing.join(', ')}`);
  if (typeof obj.registry !== 'string' || !ADDRESS.test(obj.registry)) {
    throw new FormatError(`${where}.registry must be a 0x-prefixed 20-byte address`);
  }
  const hash = (k) => {
    if (typeof obj[k] !== 'string' || !HASH.test(obj[k])) {
      throw new FormatError(`${where}.${k} must be 64 hex digits`);
    }
    return fromHex(obj[k].replace(/^0x/, ''), 32, k);
  };
  for (const k of ['chain_id', 'chain_index', 'tree_size', 'block_number', 'block_timestamp']) {
    if (!isUint(obj[k])) throw new FormatError(`${where}.${k} must be a non-negative integer`);
  }
  return { chainId: obj.chain_id, registry: obj.registry, logId: hash('log_id'),
    chainIndex: obj.chain_index, treeSize: obj.tree_size, root: hash('root'),
    txHash: hash('tx_hash'), blockNumber: obj.block_number, blockHash: hash('block_hash'),
    blockTimestamp: obj.block_timestamp };
}

/** Where the chain is asked: opts.rpc, else the policy's http(s) endpoint; null if nowhere. */
export function chainUrl(policy, opts) {
  if (typeof opts.rpc === 'string' && opts.rpc) return opts.rpc;
  if (opts.rpc === undefined && /^https?:\/\//.test(policy.endpoint ?? '')) return policy.endpoint;
  return null;
}

/** The state one verification shares across its anchor checks (one chain, asked once). */
export class ChainContext {
  constructor(policy, opts) {
    this.policy = policy;
    this.url = chainUrl(policy, opts);
    this.registry = this.url && policy.chainId !== null && policy.registry !== null
      ? new Registry(this.url, policy.registry, opts.fetch) : null;
    this.logId = fromHex(policy.logId.slice(2), 32, 'log id');
    this.ready = null;
    this.frozen = null;
  }

  /** Problems with the chain itself: null if it is the pinned one ({failed|skipped, en, zh}). */
  async identity() {
    this.ready ??= this.checkIdentity();
    return this.ready;
  }

  async checkIdentity() {
    if (this.registry === null) {
      return this.url === null
        ? { skipped: true, en: 'no chain endpoint given', zh: '未提供链节点地址，无法核对链上锚定' }
        : { skipped: true, en: 'the trust policy pins no chain id and registry',
          zh: '信任策略未固定链标识与登记合约' };
    }
    const id = await this.registry.chainId();
    if (id !== BigInt(this.policy.chainId)) {
      return { failed: true, en: `the chain endpoint has chain id ${id}, the policy pins ` +
        `${this.policy.chainId}`, zh: `链节点的链标识为 ${id}，信任策略固定为 ${this.policy.chainId}` };
    }
    if (this.policy.genesisHash !== null) {
      const genesis = await this.registry.block('genesis');
      if (!genesis || '0x' + toHex(genesis.hash) !== this.policy.genesisHash.toLowerCase()) {
        return { failed: true, en: 'the chain endpoint has another genesis block than the policy pins',
          zh: '链节点的创世区块与信任策略固定的不同（链已重置或被替换）' };
      }
    }
    this.frozen = await this.freeze();
    return null;
  }

  async freeze() {
    const state = await this.registry.frozenState(this.logId);
    if (state === null || !state.frozen) return null;
    return { lastGood: state.lastGoodIndex === NO_GOOD_CHECKPOINT ? -1n : state.lastGoodIndex };
  }
}

function claims(ref, ctx, size, root) {
  const p = ctx.policy;
  const bad = [];
  if (ref.chainId !== p.chainId) bad.push(`chain_id is ${ref.chainId}, the policy trusts ${p.chainId}`);
  if (ref.registry.toLowerCase() !== p.registry.toLowerCase()) {
    bad.push(`registry is ${ref.registry}, the policy trusts ${p.registry}`);
  }
  if (!equal(ref.logId, ctx.logId)) bad.push(`log_id is 0x${toHex(ref.logId)}, the policy trusts ${p.logId}`);
  if (ref.treeSize !== size) bad.push(`tree_size is ${ref.treeSize}, the checkpoint has ${size}`);
  if (!equal(ref.root, root)) bad.push(`root is ${toHex(ref.root)}, the checkpoint has ${toHex(root)}`);
  return bad;
}

async function txDefect(reg, ref, on, logId) {
  const tx = await reg.transactionReceipt(ref.txHash);
  if (tx === null) return 'no such transaction on chain';
  if (tx.to === null || tx.to.toLowerCase() !== ref.registry.toLowerCase()) {
    return `that transaction is to ${tx.to}, not the registry`;
  }
  if (tx.status !== 1n) return 'that transaction failed (status 0)';
  if (tx.blockNumber !== on.blockNumber) return `that transaction is in block ${tx.blockNumber}`;
  return emittedAnchor(tx.logs, ref.registry, logId, on.index, on.treeSize, on.root) ? ''
    : 'that transaction emitted no CheckpointAnchored for this checkpoint';
}

async function againstChain(ctx, on, ref) {
  const reg = ctx.registry;
  if (on === null) {
    const count = await reg.checkpointCount(ctx.logId);
    return [`chain_index ${ref.chainIndex}: no checkpoint of this log has that index on chain ` +
      `(it holds ${count})`];
  }
  if (on.treeSize !== BigInt(ref.treeSize) || !equal(on.root, ref.root)) {
    return [`chain_index ${ref.chainIndex}: chain checkpoint #${on.index} is size ${on.treeSize} ` +
      `root ${toHex(on.root)}`];
  }
  const out = [];
  if (BigInt(ref.blockNumber) !== on.blockNumber) {
    out.push(`block_number is ${ref.blockNumber}, the chain stored it in block ${on.blockNumber}`);
  }
  const block = await reg.block(on.blockNumber);
  if (block && !equal(block.hash, ref.blockHash)) {
    out.push(`block_hash is 0x${toHex(ref.blockHash)}, block ${block.number} has 0x${toHex(block.hash)}`);
  }
  if (block && block.timestamp !== BigInt(ref.blockTimestamp)) {
    out.push(`block_timestamp is ${ref.blockTimestamp}, block ${block.number} has ${block.timestamp}`);
  }
  const why = await txDefect(reg, ref, on, ctx.logId);
  if (why) out.push(`tx_hash 0x${toHex(ref.txHash)}: ${why}`);
  return out;
}

/**
 * Check checkpoint (size, root) with its reference ``ref`` (or null) into ``report``.
 * Returns {chain_id, block_number, tx_hash, block_timestamp} when it is anchored, else null.
 */
export async function checkAnchor(report, ctx, size, root, ref) {
  try {
    const wrong = await ctx.identity();
    if (wrong) {
      if (wrong.failed) report.fail(ID, wrong.en, wrong.zh);
      else report.skip(ID, wrong.en, wrong.zh);
      return null;
    }
    return ref === null ? await bySize(report, ctx, size, root) : await byRef(report, ctx, size, root, ref);
  } catch (err) {
    if (!(err instanceof ChainUnavailable)) throw err;
    report.skip(ID, `checkpoint ${size}: ${err.message}`, `检查点 ${size}：链节点无法访问（${err.message}）`);
    return null;
  }
}

async function bySize(report, ctx, size, root) {
  if (ctx.frozen) {
    report.skip(ID, `checkpoint ${size} has no anchor reference and the log is frozen on chain: ` +
      'check it with witness-verify', `检查点 ${size} 无锚定引用且该日志已在链上冻结，请用 witness-verify 核验`);
    return null;
  }
  const found = await findSize(ctx.registry, ctx.logId, size);
  if (found === null) {
    report.skip(ID, `checkpoint ${size} is not anchored on chain yet`, `检查点 ${size} 尚未在链上锚定`);
    return null;
  }
  if (!equal(found.root, root)) {
    report.fail(ID, `fork: the chain holds size ${size} with root ${toHex(found.root)}, the log ` +
      `signed root ${toHex(root)}`, `分叉：链上规模 ${size} 的根与日志签名的根不同`);
    return null;
  }
  report.ok(ID, `checkpoint ${size} is anchored on chain`, `检查点 ${size} 已在链上锚定`);
  return { chain_id: ctx.policy.chainId, block_number: Number(found.blockNumber), tx_hash: null,
    block_timestamp: Number(found.timestamp) };
}

async function byRef(report, ctx, size, root, ref) {
  if (ctx.frozen && !equal(ref.logId, ctx.logId)) {
    report.skip(ID, 'the anchor names a successor of a frozen log: check it with witness-verify',
      '锚定位于已冻结日志的后继日志下，请用 witness-verify 核验');
    return null;
  }
  const bad = claims(ref, ctx, size, root);
  const on = bad.length ? null : await ctx.registry.checkpointAt(ctx.logId, ref.chainIndex);
  if (on && on.treeSize === BigInt(size) && !equal(on.root, root)) {
    report.fail(ID, `fork: chain checkpoint #${on.index} is size ${size} root ${toHex(on.root)}, ` +
      `the log signed root ${toHex(root)}`, `分叉：链上第 ${on.index} 个检查点与日志签名的根不同`);
    return null;
  }
  const mismatches = bad.length ? bad : await againstChain(ctx, on, ref);
  if (mismatches.length) {
    report.fail(ID, `checkpoint ${size}: anchor ${mismatches.join('; ')}`,
      `检查点 ${size} 的锚定引用与信任策略或链上记录不符（${mismatches.map((m) => m.split(' ')[0]).join('、')}）`);
    return null;
  }
  if (ctx.frozen && BigInt(ref.chainIndex) > ctx.frozen.lastGood) {
    report.fail(ID, `checkpoint ${size} is anchored as #${ref.chainIndex} after the freeze point ` +
      'of the log: not trusted', `检查点 ${size} 锚定于日志冻结点之后，不予信任`);
    return null;
  }
  report.ok(ID, `checkpoint ${size} is anchored in block ${ref.blockNumber}`,
    `检查点 ${size} 已锚定于区块 ${ref.blockNumber}`);
  return { chain_id: ref.chainId, block_number: ref.blockNumber, tx_hash: '0x' + toHex(ref.txHash),
    block_timestamp: ref.blockTimestamp };
}
