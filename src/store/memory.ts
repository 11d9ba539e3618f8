import type { SecretStore } from './types.js';

/**
 * Keeps secrets in this process only: nothing survives its exit. For tests,
 * and for apps that must not write secrets anywhere.
 */
export class MemoryStore implements SecretStore {
  readonly kind = 'memory';
  readonly #values = new Map<string, string>();

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.#values.get(key));
  }

  set(key: string, value: string): Promise<void> {
    this.#values.set(key, value);
    return Promise.resolve();
  }

  delete(key: string): Promise<boolean> {
    return Promise.resolve(this.#values.delete(key));
  }
}
