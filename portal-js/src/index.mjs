// The witness ledger's verifier for the browser portal (见证门户), as ES modules for Node and
// for the bundler: receipts, project bundles, and the streamed SHA-256 of a bid file.

export { verifyReceipt, parseReceipt } from './receipt.mjs';
export { verifyBundle } from './bundle.mjs';
export { sha256Blob } from './filehash.mjs';
export { parsePolicy } from './policy.mjs';
export { decodeEnvelope } from './envelope.mjs';
export { consistencyError, inclusionError, leafHash } from './merkle.mjs';
export { openCheckpoint, openNote, parseVkey, LOG_ALG } from './note.mjs';
export { TITLES } from './report.mjs';
export { followRotations, KeyRotationError } from './logkeys.mjs';
