/**
 * The OS keychain through keytar: macOS Keychain, Windows Credential
 * Manager, and the Secret Service (gnome-keyring, KWallet) on Linux.
 *
 * keytar is an optional dependency loaded on first use, so that installing
 * loopauth never fails for want of a compiler; without it, or without a
 * keychain that answers, every call fails with `keychain_unavailable` and
 * never falls back to a file.
 */
import { LoopauthError } from '../errors.js';
import type { SecretStore } from './types.js';

interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

/** Options of {@link KeychainStore}. */
export interface KeychainStoreOptions {
  /** The keychain's service name (loopauth's `appName`). @default 'loopauth' */
  readonly service?: string;
  /**
   * Seconds a keychain call may take before it fails with
   * `keychain_unavailable` (a locked keyring can wait for a prompt forever).
   * @default 10
   */
  readonly timeout?: number;
}

const hint = 'use --insecure-storage (--store file) to keep secrets in a 0600 file instead';

let keytarPromise: Promise<Keytar> | undefined;

function loadKeytar(): Promise<Keytar> {
  keytarPromise ??= import('keytar').then(
    (m) => ((m as { default?: Keytar }).default ?? (m as unknown as Keytar)),
    (e: unknown) => {
      keytarPromise = undefined;
      throw new LoopauthError(
        'keychain_unavailable',
        `the OS keychain cannot be used: the optional module keytar is not installed or did not load; ${hint}`,
        { code: (e as { code?: string }).code ?? 'MODULE_NOT_FOUND' },
      );
    },
  );
  return keytarPromise;
}

/** A {@link SecretStore} in the OS keychain; entries are (service = app name, account = key). */
export class KeychainStore implements SecretStore {
  readonly kind = 'keychain';
  readonly #service: string;
  readonly #timeoutMs: number;

  constructor(options: KeychainStoreOptions = {}) {
    this.#service = options.service ?? 'loopauth';
    this.#timeoutMs = (options.timeout ?? 10) * 1000;
  }

  async #call<T>(what: string, fn: (k: Keytar) => Promise<T>): Promise<T> {
    const keytar = await loadKeytar();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LoopauthError('keychain_unavailable', `the OS keychain did not answer within ${this.#timeoutMs / 1000} s (is it locked?); ${hint}`, { code: 'ETIMEDOUT' })),
        this.#timeoutMs,
      );
      timer.unref();
    });
    try {
      return await Promise.race([fn(keytar), timeout]);
    } catch (e) {
      if (e instanceof LoopauthError) throw e;
      // keytar's messages are the platform's ("Cannot autolaunch D-Bus...", "No such interface..."): no secrets in them.
      const detail = String((e as Error)?.message ?? e).split('\n')[0]!.slice(0, 160);
      throw new LoopauthError('keychain_unavailable', `the OS keychain failed while ${what} (${detail}); ${hint}`, { code: 'KEYCHAIN_ERROR' });
    } finally {
      clearTimeout(timer);
    }
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.#call('reading a secret', (k) => k.getPassword(this.#service, key));
    return value ?? undefined;
  }

  set(key: string, value: string): Promise<void> {
    return this.#call('saving a secret', (k) => k.setPassword(this.#service, key, value));
  }

  delete(key: string): Promise<boolean> {
    return this.#call('deleting a secret', (k) => k.deletePassword(this.#service, key));
  }

  /** Writes, reads back and deletes a probe entry: a locked keyring reads as empty, so a read alone proves nothing. */
  async check(): Promise<void> {
    const probe = '.loopauth-check';
    await this.set(probe, 'ok');
    const back = await this.get(probe);
    await this.delete(probe);
    if (back !== 'ok') throw new LoopauthError('keychain_unavailable', `the OS keychain did not keep a test entry (is it locked?); ${hint}`);
  }
}
