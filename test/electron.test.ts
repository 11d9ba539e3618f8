/**
 * The Electron store, with a stand-in for Electron's safeStorage (the Electron
 * binary cannot be downloaded here); files, encryption round trips and the
 * store contract are real.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createElectronStore, SafeStorageStore } from '../src/electron.js';
import type { SafeStorageLike } from '../src/electron.js';
import { standInSafeStorage } from './support/safe-storage.js';
import { secretStoreContract } from './support/store-contract.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'loopauth-electron-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

secretStoreContract('SafeStorageStore (stand-in for Electron safeStorage)', () => new SafeStorageStore({ safeStorage: standInSafeStorage(), directory: path.join(tmp, 'contract') }));

describe('SafeStorageStore (stand-in for Electron safeStorage)', () => {
  it('refuses a relative directory or a missing safeStorage with a TypeError', () => {
    expect(() => new SafeStorageStore({ safeStorage: standInSafeStorage(), directory: 'relative' })).toThrow(TypeError);
    expect(() => new SafeStorageStore({ safeStorage: undefined as unknown as SafeStorageLike, directory: tmp })).toThrow(TypeError);
  });

  it('writes only encrypted bytes, in files of mode 0600', async () => {
    const dir = path.join(tmp, 'files');
    const store = new SafeStorageStore({ safeStorage: standInSafeStorage(), directory: dir });
    await store.set('default', '{"refresh_token":"rt-plaintext-marker"}');
    const [file] = readdirSync(dir);
    expect(readFileSync(path.join(dir, file!)).toString('latin1')).not.toContain('rt-plaintext-marker');
    expect(statSync(path.join(dir, file!)).mode & 0o777).toBe(0o600);
    expect(await store.get('default')).toBe('{"refresh_token":"rt-plaintext-marker"}');
  });
});

describe('createElectronStore (stand-in for Electron safeStorage)', () => {
  it('persists encrypted files when real encryption is available', () => {
    const choice = createElectronStore({ safeStorage: standInSafeStorage(), userDataPath: tmp });
    expect(choice.persistent).toBe(true);
    expect(choice.store.kind).toBe('electron');
  });

  it.each([
    ['the basic_text backend (a hard-coded key)', standInSafeStorage('basic_text')],
    ['no encryption available', standInSafeStorage('gnome_libsecret', false)],
  ])('keeps secrets in memory only, with a warning, for %s', (_why, safeStorage) => {
    const choice = createElectronStore({ safeStorage, userDataPath: path.join(tmp, 'never') });
    expect(choice.persistent).toBe(false);
    expect(choice.store.kind).toBe('memory');
    expect(choice.warning).toMatch(/memory|sign in again/);
  });
});
