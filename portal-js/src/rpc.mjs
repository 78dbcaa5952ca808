// Read-only JSON-RPC access to the registry contract: the views checkpointAt, checkpointCount
// and frozenState through eth_call (ABI encoded by hand: a selector is the first four bytes
// of Keccak-256 of the signature), blocks, and transaction receipts. Only reads; the URL is
// the caller's (opts.rpc) or the trust policy's endpoint.

import { keccak_256 } from '@noble/hashes/sha3.js';

import { concat, fromBigInt, fromHex, toBigInt, toHex, utf8 } from './bytes.mjs';

const TIMEOUT_MS = 15000;

/** The chain could not be asked (network, HTTP, a malformed or non-revert answer). */
export class ChainUnavailable extends Error {}

export function selector(signature) {
  return keccak_256(utf8(signature)).slice(0, 4);
}

export const ANCHORED_TOPIC =
  '0x' + toHex(keccak_256(utf8('CheckpointAnchored(bytes32,uint256,uint64,bytes32,uint64)')));
const CHECKPOINT_AT = selector('checkpointAt(bytes32,uint256)');
const CHECKPOINT_COUNT = selector('checkpointCount(bytes32)');
const FROZEN_STATE = selector('frozenState(bytes32)');

function quantity(value, what) {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]+$/.test(value)) {
    throw new ChainUnavailable(`the chain answered a malformed ${what}`);
  }
  return BigInt(value);
}

function hexBytes(value, size, what) {
  try {
    return fromHex(String(value).replace(/^0x/, ''), size, what);
  } catch {
    throw new ChainUnavailable(`the chain answered a malformed ${what}`);
  }
}

function isRevert(error) {
  return error?.code === 3 || /revert/i.test(String(error?.message ?? ''));
}

export class Registry {
  constructor(url, registry, fetchImpl) {
    this.url = url;
    this.registry = registry;
    this.fetch = fetchImpl ?? globalThis.fetch.bind(globalThis);
    this.cache = new Map();
    this.nextId = 1;
  }

  /** One JSON-RPC call; ``{revert: true}`` when an eth_call reverted. Answers are cached. */
  async request(method, params) {
    const key = JSON.stringify([method, params]);
    if (!this.cache.has(key)) this.cache.set(key, this.send(method, params));
    return this.cache.get(key);
  }

  async send(method, params) {
    let answer;
    try {
      const res = await this.fetch(this.url, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
        signal: typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(TIMEOUT_MS)
          : undefined,
      });
      if (!res.ok) throw new ChainUnavailable(`HTTP ${res.status}`);
      answer = await res.json();
    } catch (err) {
      if (err instanceof ChainUnavailable) throw err;
      throw new ChainUnavailable(`chain unreachable: ${err.message ?? err}`);
    }
    if (answer && answer.error) {
      if (method === 'eth_call' && isRevert(answer.error)) return { revert: true };
      throw new ChainUnavailable(`chain error: ${String(answer.error.message).slice(0, 200)}`);
    }
    if (!answer || !('result' in answer)) throw new ChainUnavailable('not a JSON-RPC answer');
    return { result: answer.result };
  }

  async call(data) {
    const out = await this.request('eth_call', [{ to: this.registry, data: '0x' + toHex(data) },
      'latest']);
    return out.revert ? null : hexBytes(out.result, undefined, 'eth_call result');
  }

  async chainId() {
    return quantity((await this.request('eth_chainId', [])).result, 'chain id');
  }

  /** {number, hash, timestamp} of block ``number`` (BigInt), or null when there is none. */
  async block(number) {
    const tag = number === 'genesis' ? '0x0' : '0x' + BigInt(number).toString(16);
    const b = (await this.request('eth_getBlockByNumber', [tag, false])).result;
    if (b === null) return null;
    return { number: quantity(b.number, 'block number'), hash: hexBytes(b.hash, 32, 'block hash'),
      timestamp: quantity(b.timestamp, 'block timestamp') };
  }

  async checkpointAt(logId, index) {
    const out = await this.call(concat(CHECKPOINT_AT, logId, fromBigInt(index)));
    if (out === null) return null;
    if (out.length < 128) throw new ChainUnavailable('checkpointAt answered no checkpoint');
    return { index: BigInt(index), treeSize: toBigInt(out.slice(0, 32)),
      root: out.slice(32, 64), timestamp: toBigInt(out.slice(64, 96)),
      blockNumber: toBigInt(out.slice(96, 128)) };
  }

  async checkpointCount(logId) {
    const out = await this.call(concat(CHECKPOINT_COUNT, logId));
    return out === null || out.length < 32 ? 0n : toBigInt(out.slice(0, 32));
  }

  /** {frozen, lastGoodIndex}; null when the registry does not know the log or the view. */
  async frozenState(logId) {
    const out = await this.call(concat(FROZEN_STATE, logId));
    if (out === null || out.length < 64) return null;
    return { frozen: toBigInt(out.slice(0, 32)) !== 0n, lastGoodIndex: toBigInt(out.slice(32, 64)) };
  }

  /** The mined transaction's receipt (to, status, block, logs) or null. */
  async transactionReceipt(txHash) {
    const r = (await this.request('eth_getTransactionReceipt', ['0x' + toHex(txHash)])).result;
    if (r === null) return null;
    return { to: typeof r.to === 'string' ? r.to : null, status: quantity(r.status, 'status'),
      blockNumber: quantity(r.blockNumber, 'block number'),
      logs: Array.isArray(r.logs) ? r.logs : [] };
  }
}

/** The on-chain checkpoint of exactly ``size`` (sizes increase on chain: binary search). */
export async function findSize(registry, logId, size) {
  let lo = 0n;
  let hi = await registry.checkpointCount(logId);
  const want = BigInt(size);
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    const found = await registry.checkpointAt(logId, mid);
    if (found === null) return null;
    if (found.treeSize === want) return found;
    if (found.treeSize < want) lo = mid + 1n;
    else hi = mid;
  }
  return null;
}

/** Whether a receipt's logs hold CheckpointAnchored(logId, index, size, root) from ``registry``. */
export function emittedAnchor(logs, registry, logId, index, size, root) {
  const topics = ['0x' + toHex(logId), '0x' + toHex(fromBigInt(index))];
  return logs.some((entry) => {
    const t = Array.isArray(entry.topics) ? entry.topics.map((x) => String(x).toLowerCase()) : [];
    const data = String(entry.data ?? '').toLowerCase().replace(/^0x/, '');
    return String(entry.address ?? '').toLowerCase() === registry.toLowerCase() &&
      t.length === 3 && t[0] === ANCHORED_TOPIC && t[1] === topics[0] && t[2] === topics[1] &&
      data.length >= 128 && BigInt('0x' + data.slice(0, 64)) === BigInt(size) &&
      data.slice(64, 128) === toHex(root);
  });
}
