// Prints the browser verifier's verdict and failed checks for every catalogue case, as JSON
// ({"receipt <name>": {verdict, failed}, "bundle <name>": …}); tests/portal compares them
// with the Python verifier's outcomes on the same cases.

import { failedIds, loadVectors, runBundleCase, runReceiptCase } from './catalogue.mjs';

const out = {};
const receipts = loadVectors('receipts.json');
for (const c of receipts.cases) {
  const { report } = await runReceiptCase(receipts, c);
  out[`receipt ${c.name}`] = { verdict: report.verdict, failed: failedIds(report) };
}
const bundles = loadVectors('bundles.json');
for (const c of bundles.cases) {
  const { report } = await runBundleCase(bundles, c);
  out[`bundle ${c.name}`] = { verdict: report.verdict, failed: failedIds(report) };
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
