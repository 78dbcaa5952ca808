// Running the tamper catalogues (tests/vectors/receipts.json, bundles.json) through the
// browser verifier: a case's mutations applied to its document, the chain's JSON-RPC answers
// replayed from the recorded exchanges through an injected fetch. Used by the node tests and
// by tools/verdicts.mjs, whose output the Python test compares with the Python verifier.

import { readFileSync } from 'node:fs';

import { verifyBundle, verifyReceipt } from '../src/index.mjs';

const VECTORS = new URL('../../tests/vectors/', import.meta.url);

export function loadVectors(name) {
  return JSON.parse(readFileSync(new URL(name, VECTORS), 'utf8'));
}

/** A deep copy of ``doc`` with the case's mutations applied (set, append, delete). */
export function applyMutations(doc, mutations) {
  const out = structuredClone(doc);
  for (const m of mutations) {
    const parents = m.path.slice(0, -1);
    const last = m.path[m.path.length - 1];
    const target = parents.reduce((t, step) => t[step], out);
    if (!m.delete) target[last] = structuredClone(m.value); // one past a list's end appends
    else if (Array.isArray(target)) target.splice(last, 1);
    else delete target[last];
  }
  return out;
}

const requestKey = (method, params) => JSON.stringify([method, params]).toLowerCase();

/** A fetch answering JSON-RPC at ``url`` from recorded exchanges; others get an error. */
export function replayFetch(url, rpc, seen = []) {
  const answers = new Map(Object.values(rpc).map((e) => [requestKey(e.method, e.params), e]));
  return async (to, init) => {
    if (to !== url) throw new TypeError(`unexpected request to ${to}`);
    const req = JSON.parse(init.body);
    seen.push(req.method);
    const found = answers.get(requestKey(req.method, req.params));
    const answer = found === undefined ? { error: { code: -32000, message: `not recorded: ${req.method}` } }
      : 'error' in found ? { error: found.error } : { result: found.result };
    return new Response(JSON.stringify({ jsonrpc: '2.0', id: req.id, ...answer }),
      { status: 200, headers: { 'Content-Type': 'application/json' } });
  };
}

/** The report of one receipt case, and the JSON-RPC methods it asked. */
export async function runReceiptCase(vectors, c, api = { verifyReceipt }) {
  const base = { policy: vectors.policy, receipt: vectors.receipts[c.receipt], rpc: vectors.rpc,
    bid_file: c.bid_file ? vectors.bid_file.base64 : null };
  const doc = applyMutations(base, c.mutations);
  const seen = [];
  const bidFile = doc.bid_file === null ? undefined : new Blob([Buffer.from(doc.bid_file, 'base64')]);
  // the receipt as a user's file: JSON text, which the verifier parses strictly
  const report = await api.verifyReceipt(JSON.stringify(doc.receipt), {
    policy: doc.policy, bidFile, rpc: vectors.rpc_url, fetch: replayFetch(vectors.rpc_url, doc.rpc, seen),
  });
  return { report, seen };
}

export async function runBundleCase(vectors, c, api = { verifyBundle }) {
  const base = { policy: vectors.policy, bundle: vectors.bundles[c.bundle], rpc: vectors.rpc };
  const doc = applyMutations(base, c.mutations);
  const seen = [];
  const report = await api.verifyBundle(JSON.stringify(doc.bundle), {
    policy: doc.policy, rpc: vectors.rpc_url, fetch: replayFetch(vectors.rpc_url, doc.rpc, seen),
  });
  return { report, seen };
}

export const failedIds = (report) => report.checks.filter((k) => k.status === 'failed').map((k) => k.id);
