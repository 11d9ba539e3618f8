/**
 * A stand-in for Electron's safeStorage (the Electron binary cannot be
 * downloaded here): a reversible transform with a marker, so plaintext on
 * disk is detectable and a foreign file fails to decrypt.
 */
import type { SafeStorageLike } from '../../src/electron.js';

/** @param backend what `getSelectedStorageBackend()` answers (`basic_text`: a hard-coded key) */
export function standInSafeStorage(backend = 'gnome_libsecret', available = true): SafeStorageLike {
  return {
    isEncryptionAvailable: () => available,
    getSelectedStorageBackend: () => backend,
    encryptString: (text) => Buffer.concat([Buffer.from('v10'), Buffer.from(text, 'utf8').map((b) => b ^ 0x5a)]),
    decryptString: (data) => {
      if (data.subarray(0, 3).toString() !== 'v10') throw new Error('bad ciphertext');
      return Buffer.from(data.subarray(3).map((b) => b ^ 0x5a)).toString('utf8');
    },
  };
}
