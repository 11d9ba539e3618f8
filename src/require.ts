/**
 * `require` for the CommonJS packages loaded on demand (keytar,
 * proper-lockfile). From the CLI's CommonJS bundle, `import()` of a CommonJS
 * package goes through Node's ESM loader and lexes the package's source for
 * its exports, a few milliseconds on `loopauth token`'s path; `require` does
 * neither. scripts/bundle.mjs turns `import.meta.url` into `__filename` for
 * the bundle (createRequire takes either).
 */
import { createRequire } from 'node:module';

let loader: ((id: string) => unknown) | undefined;

/** Loads a CommonJS package the way `require` does (it throws when it is missing). */
export function requireModule(id: string): unknown {
  // Made on first use: a cached `loopauth token` with the file store needs neither package.
  loader ??= createRequire(import.meta.url);
  return loader(id);
}
