#!/usr/bin/env node
// The CLI, bundled into one CommonJS file by scripts/bundle.mjs. This file is
// CommonJS too (bin/package.json says so): an ES module here would start
// Node's ESM loader first, about a tenth of a cached `loopauth token`.
// On Node 22+ V8's compile cache makes the next start faster still.
require('node:module').enableCompileCache?.();
require('../dist/loopauth.cjs');
