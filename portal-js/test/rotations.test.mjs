// The log key chain (logkeys.mjs) on what the catalogues do not reach: several hand-overs,
// a size window per key, statements that go back, reuse a key or lack the new key's
// countersignature, and a policy whose log_key_rotations is not a list of notes.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ed25519 } from '@noble/curves/ed25519.js';

import { concat, toBase64, toHex, utf8 } from '../src/bytes.mjs';
import { KeyRotationError, followRotations } from '../src/logkeys.mjs';
import { LOG_ALG, SignatureError, keyHash, parseVkey } from '../src/note.mjs';
import { parsePolicy } from '../src/policy.mjs';
import { loadVectors } from '../tools/catalogue.mjs';

const ORIGIN = 'test.example/rotations';

/** A TEST log key from a one-byte seed: its verifier key and a signer of note lines. */
function testKey(seedByte) {
  const secret = new Uint8Array(32).fill(seedByte);
  const publicKey = ed25519.getPublicKey(secret);
  const hash = keyHash(ORIGIN, publicKey, LOG_ALG);
  const vkey = `${ORIGIN}+${toHex(hash)}+${toBase64(concat(Uint8Array.of(LOG_ALG), publicKey))}`;
  const line = (body) => `\u2014 ${ORIGIN} ${toBase64(concat(hash, ed25519.sign(utf8(body), secret)))}\n`;
  return { vkey, verifier: parseVkey(vkey, LOG_ALG), line };
}

const [A, B, C] = [testKey(1), testKey(2), testKey(3)];

function statement(old, next, after, signers = [old, next]) {
  const body = `witness-log-key-rotation/v1\n${ORIGIN}\nold ${old.vkey}\nnew ${next.vkey}\nafter ${after}\n`;
  return `${body}\n${signers.map((k) => k.line(body)).join('')}`;
}

function checkpoint(size, key) {
  const body = `${ORIGIN}\n${size}\n${toBase64(new Uint8Array(32))}\n`;
  return `${body}\n${key.line(body)}`;
}

test('two hand-overs are followed; each new key signs only sizes above its after', () => {
  const keys = followRotations(A.verifier, ORIGIN, [statement(A, B, 5), statement(B, C, 9)]);
  assert.equal(keys.openCheckpoint(checkpoint(3, A), ORIGIN).signer, 0); // the pinned key always
  assert.equal(keys.openCheckpoint(checkpoint(6, B), ORIGIN).signer, 1);
  assert.equal(keys.openCheckpoint(checkpoint(10, C), ORIGIN).signer, 2);
  assert.throws(() => keys.openCheckpoint(checkpoint(5, B), ORIGIN), KeyRotationError);
  assert.throws(() => keys.openCheckpoint(checkpoint(9, C), ORIGIN), KeyRotationError);
  assert.equal(keys.open(checkpoint(1, C)).split('\n')[1], '1'); // a promise: no window
});

test('a key no statement reaches is refused and named', () => {
  const keys = followRotations(A.verifier, ORIGIN, [statement(A, B, 5)]);
  assert.throws(() => keys.open(checkpoint(6, C)), (err) => err instanceof SignatureError &&
    /no valid rotation/.test(err.message) && /密钥轮换/.test(err.zh));
});

test('statements that go back, reuse a key, skip a key or lack a signature are refused', () => {
  const bad = [
    [statement(A, B, 5), statement(B, C, 4)], // after goes back
    [statement(A, B, 5), statement(B, A, 6)], // back to a key already used
    [statement(B, C, 5)], // not from the pinned key
    [statement(A, B, 5, [A])], // no countersignature by the new key
    [statement(A, B, 5, [B])], // not signed by the old key
  ];
  for (const list of bad) {
    assert.throws(() => followRotations(A.verifier, ORIGIN, list), (err) =>
      err instanceof KeyRotationError && /^log key rotation \d/.test(err.message) && Boolean(err.zh));
  }
});

test('a policy whose log_key_rotations is not a list of notes does not parse', () => {
  const policy = loadVectors('receipts.json').policy;
  assert.deepEqual(parsePolicy(policy).rotations, []);
  for (const value of ['note', [1], Array(65).fill('note')]) {
    assert.throws(() => parsePolicy({ ...policy, log_key_rotations: value }), /log_key_rotations/);
  }
});
