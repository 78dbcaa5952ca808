// Receipt v2 (docs/formats.md §4): the log signs one promise per committed batch — its first
// log index, its event count and the RFC 9162 root of the batch's leaf hashes — and each
// receipt carries its leaf's audit path inside that small tree (``batch_proof``). What
// ledger/core/batch.py and receipt.py define, read the same way.

import { FormatError, fromBase64 } from './bytes.mjs';
import { inclusionError } from './merkle.mjs';
import { isCanonicalUint64Text } from './note.mjs';

export const BATCH_PROMISE_HEADER = 'witness-receipt/v2';
const UINT64_LIMIT = 1n << 64n;

/** The signed batch promise body, strictly: {origin, first, count (BigInt), root, …}. */
export function parseBatchPromise(body) {
  const lines = body.split('\n');
  if (lines.length !== 8 || lines[0] !== BATCH_PROMISE_HEADER || lines[7] !== '') {
    throw new FormatError(`not a witness batch promise (${BATCH_PROMISE_HEADER})`);
  }
  const [, origin, firstText, countText, rootText, receivedAt, mmd] = lines;
  if (![firstText, countText, mmd].every(isCanonicalUint64Text)) {
    throw new FormatError('batch promise first, count and MMD must be decimal numbers below ' +
      '2^64 without leading zeros');
  }
  const first = BigInt(firstText);
  const count = BigInt(countText);
  if (count === 0n || first + count > UINT64_LIMIT) {
    throw new FormatError('batch promise count must be at least 1 and the batch must end below 2^64');
  }
  const root = fromBase64(rootText, 'batch root');
  if (root.length !== 32) throw new FormatError('batch root is not 32 bytes');
  return { origin, first, count, root, receivedAt, mmd: Number(mmd) };
}

/** A BigInt as a JSON-safe number, or as its decimal text when no number holds it exactly. */
export const plain = (n) => (n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : String(n));

/** null when ``proof`` puts ``leaf`` at ``index`` in the signed batch; else [en, zh]. */
export function batchProofError(batch, index, leaf, proof) {
  const at = BigInt(index);
  const end = batch.first + batch.count;
  if (at < batch.first || at >= end) {
    return [`index ${index} is outside the signed batch [${batch.first}, ${end})`,
      `日志序号 ${index} 不在签名批次 [${batch.first}, ${end}) 之内`];
  }
  const why = inclusionError(at - batch.first, batch.count, leaf, proof, batch.root);
  return why === null ? null : [`batch proof: ${why}`, `批次证明不成立：${why}`];
}
