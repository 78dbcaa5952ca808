// Byte helpers: strict hex and base64 decoders (refuse anything another reader could read
// differently), UTF-8 without replacement characters, constant shapes.

const HEX = /^[0-9a-f]*$/i;
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A decoding problem in untrusted material (the caller turns it into a failed check). */
export class FormatError extends Error {}

export function utf8(text) {
  return utf8Encoder.encode(text);
}

/** UTF-8 bytes to text; invalid UTF-8 is refused, never replaced. */
export function fromUtf8(bytes) {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new FormatError('not valid UTF-8');
  }
}

export function toHex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Hex (either case, no prefix) to bytes; ``size`` when the length is fixed. */
export function fromHex(text, size, what = 'value') {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !HEX.test(text)) {
    throw new FormatError(`${what} is not hex`);
  }
  if (size !== undefined && text.length !== 2 * size) {
    throw new FormatError(`${what} is not ${size} bytes of hex`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Standard base64 with padding, as Python's ``b64decode(validate=True)`` accepts it. */
export function fromBase64(text, what = 'value') {
  if (typeof text !== 'string' || !B64.test(text)) throw new FormatError(`${what} is not base64`);
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function toBase64(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equal(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Big-endian unsigned integer of ``bytes`` as a BigInt. */
export function toBigInt(bytes) {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/** ``n`` (BigInt or safe integer) as ``size`` big-endian bytes. */
export function fromBigInt(n, size = 32) {
  let v = BigInt(n);
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new FormatError(`integer does not fit in ${size} bytes`);
  return out;
}

/** A JSON integer Python would accept as a non-negative int and JS can hold exactly. */
export function isUint(value, limit = Number.MAX_SAFE_INTEGER) {
  return Number.isSafeInteger(value) && value >= 0 && value <= limit;
}
