// ESLint with type-aware rules for the TypeScript sources and tests.
import { existsSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// electron-demo/ resolves `electron` and `loopauth` from its own node_modules
// (installed apart, with ELECTRON_SKIP_BINARY_DOWNLOAD=1; .ci/run does it
// before linting). Without them its type-aware lint would be all `any`.
const demoInstalled = existsSync(new URL('./electron-demo/node_modules/electron/electron.d.ts', import.meta.url));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.demo/', 'electron-demo/node_modules/', 'electron-demo/dist/', ...(demoInstalled ? [] : ['electron-demo/'])] },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.cts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'off',
    },
  },
  {
    files: ['**/*.cjs', 'bin/*.js'], // bin/package.json makes bin/ CommonJS
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly' } },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', URLSearchParams: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', Response: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly' },
    },
  },
);
