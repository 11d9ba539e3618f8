#!/usr/bin/env node
// The CLI, bundled into one file by scripts/bundle.mjs (it starts faster than ES modules);
// on Node 22+ V8's compile cache makes the next start faster still.
import module, { createRequire } from 'node:module';
module.enableCompileCache?.();
createRequire(import.meta.url)('../dist/loopauth.cjs');
