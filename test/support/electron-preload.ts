/**
 * The demo's real preload (electron-demo/preload/preload.cts), compiled as
 * `npm run build` there compiles it (CommonJS), to run against stand-ins
 * for Electron's contextBridge and ipcRenderer: in a Node vm here, or inside
 * a Chromium page by the window test.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const preloadFile = path.resolve(import.meta.dirname, '../../electron-demo/preload/preload.cts');

/** The preload's JavaScript: a CommonJS module body using `require('electron')`. */
export function compiledPreload(): string {
  const source = readFileSync(preloadFile, 'utf8');
  return ts.transpileModule(source, {
    fileName: 'preload.cts',
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  }).outputText;
}

/**
 * The preload wrapped as a script for a page: `require` gives only
 * `electron`, as in a sandboxed preload, and `electron` is what
 * `globalThis[electronGlobal]` holds when it runs.
 */
export function preloadPageScript(electronGlobal: string): string {
  return `(() => {
    const module = { exports: {} };
    const require = (name) => {
      if (name !== 'electron') throw new Error('a sandboxed preload cannot require ' + name);
      return globalThis[${JSON.stringify(electronGlobal)}];
    };
    (function (exports, require, module) {\n${compiledPreload()}\n})(module.exports, require, module);
  })();`;
}
