// The browser verifier from the command line (Node), for tests and for checking what the
// portal's page would say: prints the report as JSON; exit 0 intact or pending,
// 1 inconsistent, 2 bad usage or policy.
//
//   node tools/verify.mjs receipt RECEIPT.json --policy TRUST.json [--rpc URL] [--file BID]
//   node tools/verify.mjs bundle BUNDLE.json --policy TRUST.json [--rpc URL]

import { openAsBlob, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { verifyBundle, verifyReceipt } from '../src/index.mjs';

async function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: {
    policy: { type: 'string' }, rpc: { type: 'string' }, file: { type: 'string' } } });
  const [kind, path] = positionals;
  if (!['receipt', 'bundle'].includes(kind) || !path || !values.policy) {
    throw new Error('usage: verify.mjs receipt|bundle FILE --policy TRUST.json [--rpc URL] [--file BID]');
  }
  const opts = { policy: readFileSync(values.policy, 'utf8'), rpc: values.rpc ?? null };
  if (values.file) opts.bidFile = await openAsBlob(values.file);
  const text = readFileSync(path, 'utf8');
  const report = kind === 'receipt' ? await verifyReceipt(text, opts) : await verifyBundle(text, opts);
  process.stdout.write(JSON.stringify(report, null, 1) + '\n');
  return report.verdict === 'inconsistent' ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`verify.mjs: ${err.message}\n`);
  process.exit(2);
});
