// RFC 9162 Merkle tree hashes and proof verification (§2.1.3.2 inclusion, §2.1.4.2
// consistency), with SHA-256. Each check returns the reason a proof fails, or null.

import { sha256 } from '@noble/hashes/sha2.js';

import { concat, equal, toHex } from './bytes.mjs';

export const HASH_SIZE = 32;
export const MAX_PROOF_LENGTH = 64;
const LEAF_PREFIX = Uint8Array.of(0);
const NODE_PREFIX = Uint8Array.of(1);

/** SHA-256(0x00 ‖ data): the hash of one log entry. */
export function leafHash(data) {
  return sha256(concat(LEAF_PREFIX, data));
}

/** SHA-256(0x01 ‖ left ‖ right): an interior node. */
export function nodeHash(left, right) {
  return sha256(concat(NODE_PREFIX, left, right));
}

function badHashes(proof) {
  if (proof.length > MAX_PROOF_LENGTH) {
    return `proof has ${proof.length} hashes, more than ${MAX_PROOF_LENGTH}`;
  }
  const at = proof.findIndex((h) => h.length !== HASH_SIZE);
  return at < 0 ? null : `proof hash ${at} has ${proof[at].length} bytes, not ${HASH_SIZE}`;
}

/** The root ``proof`` implies for ``leaf`` at ``index`` in a tree of ``size``, or a reason. */
export function rootFromInclusionProof(index, size, leaf, proof) {
  if (!(index >= 0 && index < size)) return { error: 'index is not below the tree size' };
  const bad = badHashes(proof) ?? (leaf.length === HASH_SIZE ? null : 'leaf hash size');
  if (bad) return { error: bad };
  // BigInt: sizes up to 2^64 as the format allows, with exact shifts.
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) return { error: 'proof is longer than the path' };
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) return { error: 'proof is shorter than the path' };
  return { root: r };
}

/** null when ``proof`` puts ``leaf`` at ``index`` under ``root``; else the reason. */
export function inclusionError(index, size, leaf, proof, root) {
  const got = rootFromInclusionProof(index, size, leaf, proof);
  if (got.error) return got.error;
  return equal(got.root, root) ? null
    : `calculated root ${toHex(got.root)} differs from ${toHex(root)}`;
}

/** null when tree (size2, root2) extends (size1, root1) by ``proof``; else the reason. */
export function consistencyError(size1, size2, root1, root2, proof) {
  if (!(size1 >= 0 && size1 <= size2)) return 'first size is larger than the second';
  const bad = badHashes(proof);
  if (bad) return bad;
  if (size1 === size2 || size1 === 0) {
    if (proof.length) return 'proof must be empty';
    return size1 === size2 && !equal(root1, root2) ? 'same size, different roots' : null;
  }
  if (!proof.length) return 'proof is empty';
  const got = consistencyRoots(BigInt(size1), BigInt(size2), root1, proof);
  if (typeof got === 'string') return got;
  return equal(got[0], root1) && equal(got[1], root2) ? null : 'calculated roots differ';
}

function consistencyRoots(size1, size2, root1, proof) {
  // A power-of-two old tree is itself the first node of the proof.
  const path = (size1 & (size1 - 1n)) === 0n ? [root1, ...proof] : [...proof];
  let fn = size1 - 1n;
  let sn = size2 - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) return 'proof is longer than needed';
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn !== 0n ? 'proof is shorter than needed' : [fr, sr];
}
