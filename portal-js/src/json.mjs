// JSON from outside, read strictly: UTF-8, nesting bounded, names unique; and the RFC 8785
// (JCS) test "these bytes are the canonical encoding of what they say".
//
// JSON.parse lets the last of two equal names win and accepts any depth the engine can
// recurse; a receipt with two "index" members would read differently here and in the
// Python verifier. The scan below refuses both before JSON.parse sees the text.

import canonicalize from 'canonicalize';

import { FormatError, fromUtf8 } from './bytes.mjs';

export const MAX_JSON_DEPTH = 64;

/** End of the JSON string starting at ``start`` (the index after its closing quote). */
function stringEnd(text, start) {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i += 2; // backslash: the escaped character cannot close the string
    else if (c === 0x22) return i + 1;
    else i += 1;
  }
  throw new FormatError('unterminated string');
}

/** Refuse repeated names in one object and nesting deeper than ``limit``. */
export function checkNamesAndDepth(text, what = 'JSON', limit = MAX_JSON_DEPTH) {
  const stack = []; // per open container: a Set of names for objects, null for arrays
  let expectName = false;
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      if (expectName && top) {
        const name = JSON.parse(text.slice(i, end));
        if (top.has(name)) throw new FormatError(`${what} has a duplicate key '${name}'`);
        top.add(name);
      }
      expectName = false;
      i = end;
      continue;
    }
    if (c === '{' || c === '[') {
      stack.push(c === '{' ? new Set() : null);
      if (stack.length > limit) throw new FormatError(`${what} nested deeper than ${limit} levels`);
      expectName = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectName = false;
    } else if (c === ',') {
      expectName = stack[stack.length - 1] instanceof Set;
    }
    i += 1;
  }
}

/** Parse untrusted JSON text (or UTF-8 bytes) strictly. */
export function parseStrict(input, what = 'JSON') {
  const text = typeof input === 'string' ? input : fromUtf8(input);
  checkNamesAndDepth(text, what);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FormatError(`${what} is not JSON: ${err.message}`);
  }
}

/** The RFC 8785 canonical text of ``value``; refuses lone surrogates and non-finite numbers. */
export function canonicalText(value) {
  try {
    return canonicalize(value);
  } catch (err) {
    throw new FormatError(`cannot canonicalise: ${err.message}`);
  }
}

/**
 * Decode bytes that claim to be canonical JSON: the value, if the bytes are exactly its
 * RFC 8785 encoding (sorted keys, no whitespace, ES6 numbers, minimal escapes); else throw.
 * A repeated name or an integer beyond 2^53 re-encodes differently, so it is refused too.
 */
export function decodeCanonical(bytes, what = 'JSON') {
  const text = fromUtf8(bytes);
  const value = parseStrict(text, what);
  if (canonicalText(value) !== text) {
    throw new FormatError(`${what} bytes are not in canonical (RFC 8785) form`);
  }
  refuseUnsafeIntegers(value, what);
  return value;
}

/**
 * JCS writes integers below 1e21 as plain digits; beyond 2^53 they no longer name one
 * number (the Python verifier refuses them too). A float written with an exponent is fine.
 */
function refuseUnsafeIntegers(value, what) {
  const stack = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v) &&
        Math.abs(v) < 1e21) {
      throw new FormatError(`${what} holds an integer beyond 2^53`);
    }
    if (typeof v === 'object' && v !== null) stack.push(...Object.values(v));
  }
}

/** True for a plain JSON object (not an array, not null). */
export function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
