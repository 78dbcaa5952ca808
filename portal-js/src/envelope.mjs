// The event envelope (docs/formats.md §1): strict decoding of its canonical bytes, the two
// shapes (public, with project_seq/prev; sealed, with seal), and BIDS_UNSEALED payloads (§8).

import { sha256 } from '@noble/hashes/sha2.js';

import { FormatError, concat, fromBase64, fromHex, toHex, utf8 } from './bytes.mjs';
import { decodeCanonical, isObject } from './json.mjs';

export const MAX_CANONICAL_SIZE = 256 * 1024;
const SUBMITTED = ['event_id', 'type', 'project_id', 'section_id', 'occurred_at', 'actor',
  'context', 'payload'];
const OPTIONAL = new Set(['section_id', 'context']);
const PUBLIC_FIELDS = new Set(['v', 'origin', 'project_seq', 'prev', 'received_at', 'salt',
  ...SUBMITTED]);
const SEALED_FIELDS = new Set(['v', 'origin', 'received_at', 'salt', 'seal', ...SUBMITTED]);
const SEAL_PHASES = new Set(['bidding']);
export const RELEASE_TYPE = 'BIDS_UNSEALED';
const MAX_RELEASED = 20000;
const SCOPE_LABEL = utf8('witness-seal-scope/v1');

export function isSealed(env) {
  return 'seal' in env;
}

/** Canonical envelope bytes → the envelope; throws FormatError naming the defect. */
export function decodeEnvelope(bytes) {
  if (bytes.length > MAX_CANONICAL_SIZE) {
    throw new FormatError(`envelope is ${bytes.length} bytes, more than ${MAX_CANONICAL_SIZE}`);
  }
  const env = decodeCanonical(bytes, 'envelope');
  if (!isObject(env)) throw new FormatError('envelope is not a JSON object');
  if (env.v !== 1) throw new FormatError(`unsupported envelope version ${JSON.stringify(env.v)}`);
  const fields = isSealed(env) ? SEALED_FIELDS : PUBLIC_FIELDS;
  const keys = Object.keys(env);
  const missing = [...fields].filter((f) => !OPTIONAL.has(f) && !keys.includes(f));
  const extra = keys.filter((k) => !fields.has(k));
  if (missing.length || extra.length) {
    throw new FormatError(`envelope fields: missing [${missing.sort()}], unknown [${extra.sort()}]`);
  }
  if (isSealed(env) && !SEAL_PHASES.has(env.seal)) {
    throw new FormatError(`unknown seal phase ${JSON.stringify(env.seal).slice(0, 34)}`);
  }
  return env;
}

/** The envelope's ``prev`` as 32 bytes (public envelopes only). */
export function envelopePrev(env) {
  return fromHex(env.prev, 32, 'envelope prev');
}

export function scopeIdOf(key) {
  return sha256(concat(SCOPE_LABEL, key)).slice(0, 16);
}

/** What a decoded BIDS_UNSEALED envelope states: its section and every sealed index. */
export function parseRelease(env) {
  if (env.type !== RELEASE_TYPE) throw new FormatError(`not a ${RELEASE_TYPE} event`);
  const payload = env.payload;
  if (!isObject(payload)) throw new FormatError(`${RELEASE_TYPE} payload is not an object`);
  const key = fromBase64(String(payload.key), `${RELEASE_TYPE} key`);
  const indexes = payload.sealed_indexes;
  if (!Array.isArray(indexes) || indexes.length > MAX_RELEASED ||
      !indexes.every((i) => Number.isSafeInteger(i) && i >= 0)) {
    throw new FormatError(`${RELEASE_TYPE} sealed_indexes must be log indexes`);
  }
  if (indexes.some((i, k) => k > 0 && i <= indexes[k - 1])) {
    throw new FormatError(`${RELEASE_TYPE} sealed_indexes must be ascending, no repeats`);
  }
  if (payload.sealed_count !== indexes.length) {
    throw new FormatError(`${RELEASE_TYPE} sealed_count does not match sealed_indexes`);
  }
  if (key.length !== 32 || payload.scope_id !== toHex(scopeIdOf(key))) {
    throw new FormatError(`${RELEASE_TYPE} key and scope_id do not match`);
  }
  const section = typeof env.section_id === 'string' ? env.section_id : null;
  return { projectId: String(env.project_id), section, indexes };
}
