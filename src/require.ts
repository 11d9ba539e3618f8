/**
 * `require` for the CommonJS packages loaded on demand (keytar,
 * proper-lockfile). From the CLI's CommonJS bundle, `import()` of a CommonJS
 * package goes through Node's ESM loader and lexes the package's source for
 * its exports, a few milliseconds on `loopauth token`'s path; `require` does
 * neither. scripts/bundle.mjs defines `import.meta.url` for the bundle.
 */
import { createRequire } from 'node:module';

/** Loads a CommonJS package the way `require` does (it throws when it is missing). */
export const requireModule: (id: string) => unknown = createRequire(import.meta.url);
