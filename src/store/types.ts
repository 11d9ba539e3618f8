/**
 * Where secrets live: refresh tokens, cached access tokens and their expiry,
 * client secrets. Apps can bring their own (an Electron app: one built on
 * `safeStorage`).
 */

/**
 * A place for secret strings, by key. Implementations must not log values.
 *
 * @example
 * ```ts
 * const mine: SecretStore = {
 *   kind: 'vault',
 *   get: async (key) => vault.read(key),
 *   set: async (key, value) => vault.write(key, value),
 *   delete: async (key) => vault.remove(key),
 * }
 * await login({ issuer, clientId, store: mine })
 * ```
 */
export interface SecretStore {
  /** A short name shown by `status` (`keychain`, `file`, `memory`, or your own). */
  readonly kind: string;
  /** The value under `key`, or `undefined` when there is none. */
  get(key: string): Promise<string | undefined>;
  /** Saves `value` under `key`, replacing any previous value, atomically. */
  set(key: string, value: string): Promise<void>;
  /** Removes `key`; resolves `true` when something was removed. */
  delete(key: string): Promise<boolean>;
  /**
   * Throws a `LoopauthError` when the store cannot be used right now (called
   * before the browser is opened, so that a sign-in is never wasted).
   */
  check?(): Promise<void>;
}

/** The built-in stores, by name. */
export type StoreKind = 'keychain' | 'file' | 'memory';
