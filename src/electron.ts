/**
 * A {@link SecretStore} for Electron apps, on Electron's `safeStorage` (the OS
 * keychain's key encrypts files under the app's userData folder; what VS Code
 * uses). The library never imports `electron`: the app passes `safeStorage` in.
 *
 * @example
 * ```ts
 * import { app, safeStorage, shell } from 'electron'
 * import { login } from 'loopauth'
 * import { createElectronStore } from 'loopauth/electron'
 * const { store, warning } = createElectronStore({ safeStorage, userDataPath: app.getPath('userData') })
 * await login({ issuer, clientId, store, appName: 'my-app', openBrowser: (url) => shell.openExternal(url) })
 * ```
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { LoopauthError } from './errors.js';
import { MemoryStore } from './store/memory.js';
import type { SecretStore } from './store/types.js';

/** The part of Electron's `safeStorage` loopauth uses. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: `basic_text` means a hard-coded key, as good as plaintext. */
  getSelectedStorageBackend?(): string;
}

/** Options of {@link SafeStorageStore}. */
export interface SafeStorageStoreOptions {
  readonly safeStorage: SafeStorageLike;
  /** Folder for the encrypted files (created with mode 0700). */
  readonly directory: string;
}

/** Secrets encrypted with `safeStorage`, one file of mode 0600 per key, written atomically. */
export class SafeStorageStore implements SecretStore {
  readonly kind = 'electron';
  readonly #safe: SafeStorageLike;
  readonly #dir: string;

  constructor(options: SafeStorageStoreOptions) {
    if (!options?.safeStorage || typeof options.safeStorage.encryptString !== 'function') throw new TypeError('safeStorage must be Electron\'s safeStorage');
    if (typeof options.directory !== 'string' || !path.isAbsolute(options.directory)) throw new TypeError('directory must be an absolute path');
    this.#safe = options.safeStorage;
    this.#dir = options.directory;
  }

  #file(key: string): string {
    if (!/^[A-Za-z0-9._@-]{1,200}$/.test(key) || key.startsWith('.')) throw new TypeError('invalid secret key');
    return path.join(this.#dir, `${key}.enc`);
  }

  async get(key: string): Promise<string | undefined> {
    let data: Buffer;
    try {
      const handle = await fs.open(this.#file(key), constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        data = await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new LoopauthError('store_failed', `cannot read the encrypted secret of ${key} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      return this.#safe.decryptString(data);
    } catch {
      throw new LoopauthError('store_failed', `the encrypted secret of ${key} cannot be decrypted (keychain changed?); sign in again`);
    }
  }

  async set(key: string, value: string): Promise<void> {
    const encrypted = this.#safe.encryptString(value);
    await fs.mkdir(this.#dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.#file(key), encrypted.toString('latin1'), 0o600, 'latin1');
  }

  async delete(key: string): Promise<boolean> {
    try {
      await fs.unlink(this.#file(key));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  check(): Promise<void> {
    if (!this.#safe.isEncryptionAvailable()) return Promise.reject(new LoopauthError('keychain_unavailable', 'Electron safeStorage has no encryption available'));
    return Promise.resolve();
  }
}

/** What {@link createElectronStore} chose. */
export interface ElectronStoreChoice {
  readonly store: SecretStore;
  /** False when secrets stay in memory only (no real encryption available). */
  readonly persistent: boolean;
  /** Why secrets are not persisted, to show in the window. */
  readonly warning?: string;
}

/**
 * The store an Electron app should use: encrypted files under userData, or,
 * where `safeStorage` cannot really encrypt (unavailable, or Linux's
 * `basic_text` backend with its hard-coded key), memory only and a warning.
 */
export function createElectronStore(options: { safeStorage: SafeStorageLike; userDataPath: string }): ElectronStoreChoice {
  const { safeStorage } = options;
  if (!safeStorage.isEncryptionAvailable()) {
    return { store: new MemoryStore(), persistent: false, warning: 'No OS encryption is available: you will need to sign in again after a restart.' };
  }
  if (safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
    return {
      store: new MemoryStore(),
      persistent: false,
      warning: 'No keyring is available (safeStorage would use a hard-coded key): the session is kept in memory only.',
    };
  }
  return { store: new SafeStorageStore({ safeStorage, directory: path.join(options.userDataPath, 'loopauth-secrets') }), persistent: true };
}
