// SHA-256 of a bid file in the browser, streamed: a 2 GB file is read 4 MiB at a time and
// never held in memory whole (WebCrypto's digest needs the whole buffer; noble's hash is
// incremental).

import { sha256 } from '@noble/hashes/sha2.js';

import { toHex } from './bytes.mjs';

export const CHUNK_SIZE = 4 * 1024 * 1024;

/** Hex SHA-256 of ``blob`` (a File or Blob); ``onProgress(done, total)`` after each chunk. */
export async function sha256Blob(blob, onProgress) {
  const hash = sha256.create();
  const total = blob.size;
  for (let at = 0; at < total; at += CHUNK_SIZE) {
    const chunk = new Uint8Array(await blob.slice(at, Math.min(at + CHUNK_SIZE, total)).arrayBuffer());
    hash.update(chunk);
    if (onProgress) onProgress(Math.min(at + CHUNK_SIZE, total), total);
  }
  if (total === 0 && onProgress) onProgress(0, 0);
  return toHex(hash.digest());
}
