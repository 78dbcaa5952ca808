// A witness-bundle/v1 file (project bundle or lead package) decoded into typed parts, as
// verifier/bundle_parse.py reads it: structure, sizes and versions only; nothing here is
// trusted or verified. Every defect throws a FormatError naming it.

import { FormatError, fromHex, isUint, utf8 } from './bytes.mjs';
import { parseAnchorRef } from './anchor.mjs';
import { isObject, parseStrict } from './json.mjs';

export const BUNDLE_FORMAT = 'witness-bundle/v1';
const MAX_BUNDLE_SIZE = 64 * 1024 * 1024;
const MAX_EVENTS = 100000;
const MAX_CHECKPOINTS = 10000;
const MAX_SEALED_SECTIONS = 1000;
const KINDS = ['project', 'lead'];

function need(cond, what) {
  if (!cond) throw new FormatError(`bundle: ${what}`);
}

function uint(value, what) {
  need(isUint(value), `${what} must be a non-negative integer`);
  return value;
}

function hashes(value, what) {
  need(Array.isArray(value) && value.length <= 64, `${what} must be a list of hashes`);
  return value.map((h) => {
    need(typeof h === 'string' && h.length === 64, `${what} holds a non-hash`);
    return fromHex(h, 32, `bundle: ${what}`);
  });
}

function event(obj) {
  need(isObject(obj) && typeof obj.canonical === 'string', 'bad event entry');
  need(obj.canonical.isWellFormed(), 'an event\'s canonical text is not valid Unicode');
  const leaf = obj.leaf_hash ?? null;
  return { index: uint(obj.index, 'event index'), leaf: leaf === null ? null : hashes([leaf], 'leaf_hash')[0],
    canonical: utf8(obj.canonical), proof: hashes(obj.inclusion_proof, 'inclusion_proof') };
}

function checkpoint(obj, k) {
  need(isObject(obj) && typeof obj.note === 'string', 'bad checkpoint entry');
  const more = obj.anchors ?? [];
  need(Array.isArray(more) && more.length <= 16,
    `checkpoints.${k}.anchors must be a list of at most 16 anchor references`);
  return { note: obj.note, anchor: parseAnchorRef(obj.anchor ?? null, `bundle: checkpoints.${k}.anchor`),
    anchors: more.map((a, j) => parseAnchorRef(a, `bundle: checkpoints.${k}.anchors.${j}`)) };
}

function consistency(obj) {
  need(isObject(obj), 'bad consistency entry');
  return { from: uint(obj.from, 'consistency from'), to: uint(obj.to, 'consistency to'),
    proof: hashes(obj.proof, 'consistency proof') };
}

function sealed(value) {
  need(Array.isArray(value) && value.length <= MAX_SEALED_SECTIONS,
    `sealed must be a list of at most ${MAX_SEALED_SECTIONS} sections`);
  const out = [];
  for (const item of value) {
    const keys = isObject(item) ? Object.keys(item).sort().join(',') : '';
    need(keys === 'section_id,until', 'a sealed entry has exactly section_id and until');
    need(item.section_id === null || typeof item.section_id === 'string',
      'sealed section_id must be a string or null');
    need(item.until === 'opening', 'sealed until must be "opening"');
    need(!out.includes(item.section_id), `section ${item.section_id} is listed twice under sealed`);
    out.push(item.section_id);
  }
  return out;
}

/** The bundle in ``input`` (JSON text or an already parsed object). */
export function parseBundle(input) {
  need(typeof input !== 'string' || input.length <= MAX_BUNDLE_SIZE, `larger than ${MAX_BUNDLE_SIZE} bytes`);
  const obj = typeof input === 'string' ? parseStrict(input, 'bundle') : input;
  need(isObject(obj), 'not a JSON object');
  need(obj.format === BUNDLE_FORMAT, `format is ${JSON.stringify(obj.format)}, this verifier reads ${BUNDLE_FORMAT}`);
  for (const key of ['origin', 'project_id', 'head']) need(typeof obj[key] === 'string', `${key} must be a string`);
  need(['events', 'checkpoints', 'consistency'].every((k) => Array.isArray(obj[k])),
    'events, checkpoints and consistency must be lists');
  need(obj.events.length <= MAX_EVENTS, `more than ${MAX_EVENTS} events`);
  need(obj.checkpoints.length <= MAX_CHECKPOINTS, `more than ${MAX_CHECKPOINTS} checkpoints`);
  need(obj.events.length > 0, 'no events');
  const kind = obj.kind ?? 'project';
  need(KINDS.includes(kind), `kind is ${JSON.stringify(kind)}, this verifier reads ${KINDS.join(' and ')}`);
  if (kind === 'lead') {
    need(isObject(obj.lead), 'a lead package needs a lead object');
    need(typeof obj.signature === 'string', 'a lead package needs a signature');
  }
  return { origin: obj.origin, projectId: obj.project_id, head: obj.head, kind,
    proofSize: uint(obj.proof_size, 'proof_size'),
    checkpoints: obj.checkpoints.map(checkpoint), consistency: obj.consistency.map(consistency),
    events: obj.events.map(event), sealed: 'sealed' in obj ? sealed(obj.sealed) : [] };
}
