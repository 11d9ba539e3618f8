/** Chooses a {@link SecretStore} from its name or takes the app's own. */
import path from 'node:path';
import { FileStore } from './file.js';
import { KeychainStore } from './keychain.js';
import { MemoryStore } from './memory.js';
import type { SecretStore, StoreKind } from './types.js';

export type { SecretStore, StoreKind } from './types.js';
export { FileStore, KeychainStore, MemoryStore };

const memoryStores = new Map<string, MemoryStore>();

/**
 * The store for `store` (default `keychain`): built-in stores by name, under
 * the app's config folder (file) or keychain service (keychain). `memory`
 * is one store per app name for the life of the process.
 */
export function resolveStore(store: SecretStore | StoreKind | undefined, appName: string, configRoot: string): SecretStore {
  if (store === undefined || store === 'keychain') return new KeychainStore({ service: appName });
  if (store === 'file') return new FileStore({ directory: path.join(configRoot, 'secrets') });
  if (store === 'memory') {
    let mem = memoryStores.get(appName);
    if (!mem) memoryStores.set(appName, (mem = new MemoryStore()));
    return mem;
  }
  if (typeof store === 'object' && store !== null && typeof store.get === 'function' && typeof store.set === 'function' && typeof store.delete === 'function') {
    if (typeof store.kind === 'string' && store.kind !== '') return store;
    // An app's own { get, set, delete } without a kind: the profile still needs a store name.
    const own = store;
    return {
      kind: 'custom',
      get: (key) => own.get(key),
      set: (key, value) => own.set(key, value),
      delete: (key) => own.delete(key),
      ...(typeof own.check === 'function' ? { check: () => own.check!() } : {}),
    };
  }
  throw new TypeError(`store must be 'keychain', 'file', 'memory' or a SecretStore, not ${JSON.stringify(store)}`);
}
