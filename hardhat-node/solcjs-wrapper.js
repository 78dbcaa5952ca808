#!/usr/bin/env node
// A stand-in for the native `solc` binary, backed by the pinned solc-js (npm `solc`), for
// py-solc-x. It implements only what py-solc-x's compile_standard needs:
//
//   solcjs-wrapper.js --version
//       prints "solc, the solidity compiler commandline interface\nVersion: <solc-js version>"
//       (e.g. 0.8.26+commit.8a97fa7a.Emscripten.clang), parseable by py-solc-x.
//   solcjs-wrapper.js --standard-json [--base-path DIR] [--allow-paths A,B,...]
//       reads the Standard JSON input on stdin, writes the Standard JSON output on stdout.
//
// It calls solc-js's JavaScript API directly (no `solcjs` CLI, so no ">>>" banner line on
// stdout). Imports are resolved by a callback: "@openzeppelin/..." and other package paths
// from this directory's node_modules, anything else relative to --base-path (default: cwd).
// A resolved file must lie under node_modules, the base path or one of --allow-paths.
"use strict";

const fs = require("fs");
const path = require("path");
const solc = require("solc");

const NODE_MODULES = path.join(__dirname, "node_modules");

function parseArgs(argv) {
  const opts = { version: false, standardJson: false, basePath: process.cwd(), allowPaths: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--version") opts.version = true;
    else if (arg === "--standard-json") opts.standardJson = true;
    else if (arg === "--base-path") opts.basePath = path.resolve(argv[++i]);
    else if (arg === "--allow-paths") {
      opts.allowPaths.push(...argv[++i].split(",").filter(Boolean).map((p) => path.resolve(p)));
    } else {
      process.stderr.write(`unrecognised option '${arg}'\n`);
      process.exit(1);
    }
  }
  return opts;
}

function isUnder(file, dir) {
  const rel = path.relative(dir, file);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

function makeImportCallback(opts) {
  const roots = [NODE_MODULES, opts.basePath, ...opts.allowPaths];
  return function findImports(importPath) {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : [path.join(opts.basePath, importPath), path.join(NODE_MODULES, importPath)];
    for (const candidate of candidates) {
      const resolved = path.resolve(candidate);
      if (!roots.some((root) => isUnder(resolved, root))) continue;
      if (fs.existsSync(resolved) && fs.statSync(resolved).isFile()) {
        return { contents: fs.readFileSync(resolved, "utf8") };
      }
    }
    return { error: `File not found (or outside the allowed paths): ${importPath}` };
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.version) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return;
  }
  if (!opts.standardJson) {
    process.stderr.write("only --version and --standard-json are supported\n");
    process.exit(1);
  }
  const input = fs.readFileSync(0, "utf8");
  const output = solc.compile(input, { import: makeImportCallback(opts) });
  process.stdout.write(output.endsWith("\n") ? output : `${output}\n`);
}

main();
