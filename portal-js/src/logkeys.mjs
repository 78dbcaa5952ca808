// The log keys a browser trusts: the key its policy pins and each key the policy's
// log_key_rotations (witness-log-key-rotation/v1, docs/formats.md §3) hand over to, in order —
// as ledger/core/key_rotation.py follows them. A statement counts only when signed by the key
// trusted at that point and by the new key it names; a new key signs checkpoints only of
// sizes above its statement's `after`; a promise may be signed by any trusted key.

import { FormatError, equal, toHex } from './bytes.mjs';
import { LOG_ALG, SignatureError, isCanonicalUint64Text, openNote, parseCheckpoint, parseVkey, splitNote } from './note.mjs';

export const ROTATION_HEADER = 'witness-log-key-rotation/v1';
export const MAX_ROTATIONS = 64;

/** A rotation statement that does not hand over from the key the verifier trusts. */
export class KeyRotationError extends SignatureError {
  constructor(message, zh) {
    super(message);
    this.zh = zh; // the Chinese detail the report shows
  }
}

/** The Chinese detail of an error of this module (others carry only their English message). */
export const zhDetail = (err) => err.zh ?? err.message;

const sameKey = (a, b) => a.name === b.name && equal(a.keyHash, b.keyHash);

function parseRotation(body) {
  const lines = body.split('\n');
  if (lines.length !== 6 || lines[0] !== ROTATION_HEADER || lines[5] !== '') {
    throw new FormatError(`not a ${ROTATION_HEADER} statement`);
  }
  const [, origin, old, next, after] = lines;
  if (!(old.startsWith('old ') && next.startsWith('new ') && after.startsWith('after ') &&
      isCanonicalUint64Text(after.slice(6)) && origin)) {
    throw new FormatError(`a ${ROTATION_HEADER} statement has origin, old, new and after lines`);
  }
  return { origin, old: parseVkey(old.slice(4), LOG_ALG, 'rotation old key'),
    next: parseVkey(next.slice(4), LOG_ALG, 'rotation new key'), after: BigInt(after.slice(6)) };
}

const vkeyText = (key) => `${key.name}+${toHex(key.keyHash)}`;

/** The hand-over ``note`` states, if ``current`` signed it, names it as old, and the new key signed it. */
export function openRotation(note, current, origin) {
  let rotation;
  try {
    rotation = parseRotation(openNote(note, [current]));
  } catch (err) {
    if (!(err instanceof SignatureError)) throw err;
    throw new KeyRotationError(`rotation statement not signed by the trusted log key ${vkeyText(current)}: ${err.message}`,
      `轮换声明未由当时受信的日志公钥 ${vkeyText(current)} 签署`);
  }
  if (rotation.origin !== origin) {
    throw new KeyRotationError(`rotation statement is for log ${JSON.stringify(rotation.origin)}, not ${JSON.stringify(origin)}`,
      `轮换声明属于日志 ${rotation.origin}，不是 ${origin}`);
  }
  if (!sameKey(rotation.old, current)) {
    throw new KeyRotationError(`rotation statement hands over from ${vkeyText(rotation.old)}, not from ` +
      `the trusted log key ${vkeyText(current)}`, `轮换声明所交出的不是当时受信的日志公钥 ${vkeyText(current)}`);
  }
  if (rotation.next.name !== current.name || sameKey(rotation.next, current)) {
    throw new KeyRotationError('rotation statement must name a new key of the same name', '轮换声明须指定同名的新公钥');
  }
  try {
    openNote(note, [rotation.next]);
  } catch (err) {
    if (!(err instanceof SignatureError)) throw err;
    throw new KeyRotationError(`rotation statement not signed by its new key: ${err.message}`, '轮换声明未由其新公钥会签');
  }
  return rotation;
}

/** Trusted log keys, oldest first; ``after[j]``: key j signs only checkpoints above it (0 for the pinned key). */
export class LogKeys {
  constructor(keys, after) {
    this.keys = keys;
    this.after = after;
  }

  then(rotation) {
    const last = this.after[this.after.length - 1];
    if (rotation.after < last) {
      throw new KeyRotationError(`rotation after size ${rotation.after} goes back before the previous ` +
        `one (after size ${last})`, `轮换的交接规模 ${rotation.after} 早于上一次轮换（${last}）`);
    }
    if (this.keys.some((k) => sameKey(k, rotation.next))) {
      throw new KeyRotationError('rotation hands over to a key already used by this log', '轮换交接给了本日志已用过的公钥');
    }
    return new LogKeys([...this.keys, rotation.next], [...this.after, rotation.after]);
  }

  /** The body once a trusted key signed ``note``; a key no rotation reaches is named. */
  open(note) {
    try {
      return openNote(note, this.keys);
    } catch (err) {
      if (!(err instanceof SignatureError)) throw err;
      const other = splitNote(note).signatures.find((s) => s.name === this.keys[0].name &&
        !this.keys.some((k) => equal(k.keyHash, s.keyHash)));
      if (other) {
        throw Object.assign(new SignatureError(`signed by log key ${toHex(other.keyHash)}, which no valid ` +
          'rotation from the pinned key reaches (a rotated log: use the center\'s current trust policy)'),
        { zh: `由日志公钥 ${toHex(other.keyHash)} 签名，但没有有效的密钥轮换声明从固定公钥交接到它` +
          '（日志密钥已轮换：请使用交易中心当前的信任策略）' });
      }
      throw err;
    }
  }

  /** The checkpoint and the position of the newest trusted key allowed to sign its size. */
  openCheckpoint(note, origin) {
    this.open(note);
    const { body, signatures } = splitNote(note);
    const signers = this.keys.map((k, j) => (signatures.some((s) => sameKey(s, k)) ? j : -1)).filter((j) => j >= 0);
    const checkpoint = parseCheckpoint(body);
    if (checkpoint.origin !== origin) {
      throw new SignatureError(`checkpoint is for origin ${JSON.stringify(checkpoint.origin)}, ` +
        `not ${JSON.stringify(origin)}`);
    }
    const allowed = signers.filter((j) => j === 0 || BigInt(checkpoint.size) > this.after[j]);
    if (!allowed.length) {
      const j = signers[signers.length - 1];
      throw new KeyRotationError(`checkpoint of size ${checkpoint.size} is signed by log key ${j}, ` +
        `which signs only sizes above ${this.after[j]}`,
        `规模 ${checkpoint.size} 的检查点由第 ${j} 个日志公钥签名，而它只能签署规模大于 ${this.after[j]} 的检查点`);
    }
    return { ...checkpoint, signer: allowed[allowed.length - 1] };
  }
}

/** The key chain from ``pinned`` through ``statements`` (in order); a bad statement throws. */
export function followRotations(pinned, origin, statements) {
  if (statements.length > MAX_ROTATIONS) throw new FormatError(`more than ${MAX_ROTATIONS} log key rotations`);
  let keys = new LogKeys([pinned], [0n]);
  statements.forEach((note, k) => {
    try {
      keys = keys.then(openRotation(note, keys.keys[keys.keys.length - 1], origin));
    } catch (err) {
      if (err instanceof KeyRotationError) {
        throw new KeyRotationError(`log key rotation ${k}: ${err.message}`, `第 ${k + 1} 次日志密钥轮换：${err.zh}`);
      }
      throw err;
    }
  });
  return keys;
}

/**
 * The policy's trusted keys for a report: null after failing the `key_rotation` check when a
 * statement does not hand over from the key trusted at that point (the whole policy is then
 * refused, as witness-verify refuses it).
 */
export function trustedKeys(report, policy) {
  try {
    const keys = followRotations(policy.key, policy.origin, policy.rotations);
    if (policy.rotations.length) {
      report.ok('key_rotation', `${policy.rotations.length} log key rotation(s) followed from the pinned key`,
        `已从固定的日志公钥沿 ${policy.rotations.length} 次密钥轮换核验`);
    }
    return keys;
  } catch (err) {
    if (!(err instanceof SignatureError || err instanceof FormatError)) throw err;
    report.fail('key_rotation', `trust policy: ${err.message}`, `信任策略中的日志密钥轮换声明无效：${zhDetail(err)}`);
    return null;
  }
}
