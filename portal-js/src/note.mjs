// C2SP signed notes with Ed25519 keys, tlog checkpoints carried in them, and witness
// cosignatures (C2SP tlog-cosignature). Read as Go's note.Open reads them: no control
// character but the newline, at most 100 signature lines, lines by unknown keys ignored,
// and a line by a trusted key that does not verify refuses the whole note.

import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';

import { FormatError, concat, equal, fromBase64, toBigInt, toHex, utf8 } from './bytes.mjs';
import { HASH_SIZE } from './merkle.mjs';

export const LOG_ALG = 0x01;
export const COSIGNATURE_ALG = 0x04;
export const SIG_PREFIX = '\u2014 ';
export const MAX_NOTE_SIZE = 16 * 1024;
export const MAX_SIGNATURES = 100;
const CONTROL = /[\x00-\x09\x0b-\x1f]/;
const MAX_TIMESTAMP = (1n << 63n) - 1n;
// What a key name must not hold: '+' and white space as Go's note package sees it (Unicode's
// White_Space property: JavaScript's \s leaves out U+0085 and adds U+FEFF).
const NOT_IN_NAME = /[+\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/** A key name C2SP allows: not empty, no white space, no '+'. */
export function isKeyName(name) {
  return name.length > 0 && !NOT_IN_NAME.test(name);
}

/** A signature that does not verify under a trusted key (as opposed to a malformed note). */
export class SignatureError extends Error {}

export function keyHash(name, publicKey, alg) {
  return sha256(concat(utf8(`${name}\n`), Uint8Array.of(alg), publicKey)).slice(0, 4);
}

/** Decimal digits of a number below 2^64 in the one spelling of that number, without a
 * leading zero: every number of a signed body is read this way (as the Python reader), so
 * that no body has two readings that differ in text only. */
export function isCanonicalUint64Text(text) {
  return /^(0|[1-9][0-9]{0,19})$/.test(text) && BigInt(text) < 1n << 64n;
}

/** A verifier key ``name+hash+base64(alg ‖ key)`` of algorithm ``alg``, checked. */
export function parseVkey(vkey, alg, what = 'verifier key') {
  if (typeof vkey !== 'string') throw new FormatError(`${what} is not a string`);
  const text = vkey.trim();
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw new FormatError(`${what}: a verifier key is name+hash+key`);
  const name = text.slice(0, first);
  const raw = fromBase64(text.slice(second + 1), what);
  if (!isKeyName(name)) throw new FormatError(`${what}: invalid key name`);
  if (raw.length !== 33 || raw[0] !== alg) {
    throw new FormatError(`${what} is not an Ed25519 key of algorithm 0x0${alg}`);
  }
  const publicKey = raw.slice(1);
  const hash = keyHash(name, publicKey, alg);
  if (toHex(hash) !== text.slice(first + 1, second).toLowerCase()) {
    throw new FormatError(`${what}: hash does not match its key`);
  }
  return { name, publicKey, keyHash: hash };
}

export function ed25519Valid(signature, message, publicKey) {
  try {
    // zip215: false = RFC 8032 rules, as OpenSSL (the Python verifier) and Go apply them.
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

function checkBody(body) {
  if (!body.endsWith('\n') || body.includes('\n\n')) {
    throw new FormatError('a note body is non-empty lines, each ending in a newline');
  }
}

function parseSignatureLine(line) {
  if (!line.startsWith(SIG_PREFIX) || line.split(' ').length !== 3) {
    throw new FormatError(`bad signature line ${JSON.stringify(line.slice(0, 60))}`);
  }
  const [, name, b64] = line.split(' ');
  if (!isKeyName(name)) throw new FormatError(`bad key name on signature line ${JSON.stringify(name)}`);
  const raw = fromBase64(b64, 'signature');
  if (raw.length < 5) throw new FormatError('signature too short');
  return { name, keyHash: raw.slice(0, 4), signature: raw.slice(4) };
}

/** The body and its signature lines, without verifying anything. */
export function splitNote(note) {
  if (typeof note !== 'string') throw new FormatError('a note is text');
  if (note.length > MAX_NOTE_SIZE) {
    throw new FormatError(`note is longer than ${MAX_NOTE_SIZE} characters`);
  }
  if (CONTROL.test(note)) throw new FormatError('note contains a control character');
  const cut = note.lastIndexOf('\n\n');
  const sigs = cut < 0 ? '' : note.slice(cut + 2);
  if (cut < 0 || !sigs.endsWith('\n')) throw new FormatError('note has no signature block');
  const body = note.slice(0, cut) + '\n';
  checkBody(body);
  const lines = sigs.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) {
    throw new FormatError(`note has more than ${MAX_SIGNATURES} signatures`);
  }
  return { body, signatures: lines.map(parseSignatureLine) };
}

/** The body, if a trusted ``key`` ({name, publicKey, keyHash}, or a list of them) signed it; else throw. */
export function openNote(note, key) {
  const { body, signatures } = splitNote(note);
  const keys = Array.isArray(key) ? key : [key];
  let verified = false;
  for (const sig of signatures) {
    const trusted = keys.find((k) => sig.name === k.name && equal(sig.keyHash, k.keyHash));
    if (!trusted) continue;
    if (!ed25519Valid(sig.signature, utf8(body), trusted.publicKey)) {
      throw new SignatureError(`invalid signature by trusted key ${trusted.name}`);
    }
    verified = true;
  }
  if (!verified) throw new SignatureError('note carries no valid signature by a trusted key');
  return body;
}

/** A checkpoint body: origin, size (no leading zero), base64 root; extension lines allowed. */
export function parseCheckpoint(body) {
  const lines = body.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') {
    throw new FormatError('a checkpoint has origin, size and root lines');
  }
  const [origin, sizeText, rootText] = lines;
  if (!origin || !isCanonicalUint64Text(sizeText)) {
    throw new FormatError('bad checkpoint origin or size');
  }
  const root = fromBase64(rootText, 'checkpoint root');
  if (root.length !== HASH_SIZE) throw new FormatError('checkpoint root is not 32 bytes');
  const size = BigInt(sizeText);
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError('checkpoint size too large');
  return { origin, size: Number(size), root };
}

/** Verify a checkpoint note with the pinned key and that it is for the pinned origin. */
export function openCheckpoint(note, key, origin) {
  const checkpoint = parseCheckpoint(openNote(note, key));
  if (checkpoint.origin !== origin) {
    throw new SignatureError(`checkpoint is for origin ${JSON.stringify(checkpoint.origin)}, ` +
      `not ${JSON.stringify(origin)}`);
  }
  return checkpoint;
}

function cosignatureTime(witness, body, signature) {
  if (signature.length !== 72) return null;
  const time = toBigInt(signature.slice(0, 8));
  if (time > MAX_TIMESTAMP) return null;
  const message = utf8(`cosignature/v1\ntime ${time}\n${body}`);
  return ed25519Valid(signature.slice(8), message, witness.publicKey) ? Number(time) : null;
}

/** Valid cosignatures by distinct pinned witnesses, and the pinned ones that do not verify. */
export function countCosignatures(note, witnesses) {
  const { body, signatures } = splitNote(note);
  const valid = new Map();
  const invalid = [];
  for (const sig of signatures) {
    const witness = witnesses.find((w) => w.name === sig.name && equal(w.keyHash, sig.keyHash));
    if (!witness) continue; // the log's own line, or a witness the policy does not list
    const time = cosignatureTime(witness, body, sig.signature);
    if (time === null) invalid.push(sig.name);
    else if (!valid.has(sig.name)) valid.set(sig.name, time);
  }
  return { valid: [...valid.keys()].sort(), invalid };
}
