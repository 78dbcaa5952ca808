// The trust policy (witness-trust/v1, v2) as served by GET /v1/trust-policy: the pinned log
// key, origin, chain identity, witnesses and log key rotations. Never taken from the material being checked.
// A policy that does not parse is the caller's problem (an exception), not a verdict.

import { sha256 } from '@noble/hashes/sha2.js';

import { FormatError, toHex, utf8 } from './bytes.mjs';
import { isObject, parseStrict } from './json.mjs';
import { COSIGNATURE_ALG, LOG_ALG, parseVkey } from './note.mjs';
import { MAX_ROTATIONS } from './logkeys.mjs';

const FORMATS = ['witness-trust/v1', 'witness-trust/v2'];
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;
const MAX_CHAINS = 8;

function optional(obj, key, type, where) {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  const ok = type === 'int' ? Number.isSafeInteger(value) : typeof value === type;
  if (!ok) throw new FormatError(`trust policy: ${where}${key} must be a ${type}`);
  return value;
}

function matching(value, pattern, what) {
  if (value !== null && !pattern.test(value)) throw new FormatError(`trust policy: ${what}`);
  return value;
}

/** The log id a registry uses for ``origin``: SHA-256 of its UTF-8 bytes, 0x-hex. */
export function logIdFor(origin) {
  return '0x' + toHex(sha256(utf8(origin)));
}

function parseChainPin(obj, k) {
  const where = `chains.${k}.`;
  if (!isObject(obj)) throw new FormatError(`trust policy: chains.${k} must be an object`);
  if (!Number.isSafeInteger(obj.chain_id) || obj.chain_id < 0 ||
      typeof obj.registry !== 'string' || !ADDRESS.test(obj.registry) ||
      typeof obj.log_id !== 'string' || !HASH.test(obj.log_id) ||
      typeof obj.required !== 'boolean') {
    throw new FormatError(`trust policy: ${where}chain_id, registry, log_id and required ` +
      'must be set as the format says');
  }
  return { chainId: obj.chain_id, registry: obj.registry, logId: obj.log_id.toLowerCase(),
    required: obj.required };
}

function parseWitnesses(list, quorum) {
  if (list !== undefined && list !== null &&
      (!Array.isArray(list) || !list.every((v) => typeof v === 'string'))) {
    throw new FormatError('trust policy: witnesses must be a list of witness verifier keys');
  }
  const keys = (list ?? []).map((v, k) => parseVkey(v, COSIGNATURE_ALG, `witnesses.${k}`));
  if (new Set(keys.map((w) => w.name)).size !== keys.length) {
    throw new FormatError('trust policy: a witness is listed twice');
  }
  if (!(quorum >= 0 && quorum <= keys.length)) {
    throw new FormatError('trust policy: witness_quorum must be between 0 and the number ' +
      `of witnesses (${keys.length})`);
  }
  return keys;
}

// The statements are only collected here: each is verified from the pinned key by the check
// that uses the keys (logkeys.mjs), so a forged one is a failed check, not a policy typo.
function parseRotations(list) {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list) || list.length > MAX_ROTATIONS || !list.every((v) => typeof v === 'string')) {
    throw new FormatError(`trust policy: log_key_rotations must be a list of at most ${MAX_ROTATIONS} signed notes`);
  }
  return [...list];
}

/** The pinned trust anchors of a policy document (object or JSON text). */
export function parsePolicy(input) {
  const obj = typeof input === 'string' ? parseStrict(input, 'trust policy') : input;
  if (!isObject(obj) || !FORMATS.includes(obj.format)) {
    throw new FormatError(`trust policy is not a ${FORMATS.join(' or ')} document`);
  }
  if (obj.format === FORMATS[0] && 'chains' in obj) {
    throw new FormatError(`trust policy: chains needs format ${FORMATS[1]}`);
  }
  const chain = obj.chain ?? {};
  if (!isObject(chain)) throw new FormatError('trust policy: chain must be an object');
  const key = parseVkey(optional(obj, 'log_key', 'string', ''), LOG_ALG, 'trust policy log_key');
  const origin = optional(obj, 'origin', 'string', '') || key.name;
  const chains = obj.chains ?? [];
  if (!Array.isArray(chains) || chains.length > MAX_CHAINS) {
    throw new FormatError(`trust policy: chains must be a list of at most ${MAX_CHAINS}`);
  }
  const quorum = optional(obj, 'witness_quorum', 'int', '') ?? 0;
  const logId = matching(optional(chain, 'log_id', 'string', 'chain.'), HASH,
    'log id must be 0x followed by 64 hex digits');
  return {
    key, origin,
    chainId: optional(chain, 'chain_id', 'int', 'chain.'),
    registry: matching(optional(chain, 'registry', 'string', 'chain.'), ADDRESS,
      'registry must be a 0x-prefixed 20-byte address'),
    logId: (logId ?? logIdFor(origin)).toLowerCase(),
    endpoint: optional(chain, 'endpoint', 'string', 'chain.'),
    genesisHash: matching(optional(chain, 'genesis_hash', 'string', 'chain.'), HASH,
      'genesis hash must be 0x followed by 64 hex digits'),
    witnesses: parseWitnesses(obj.witnesses, quorum),
    quorum,
    chains: chains.map(parseChainPin),
    rotations: parseRotations(obj.log_key_rotations),
  };
}
