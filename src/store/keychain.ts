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
import { requireModule } from '../require.js';
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
   * @default 5
   */
  readonly timeout?: number;
  /**
   * Longest value kept in one keychain entry; longer ones are split into
   * numbered entries. Windows Credential Manager refuses blobs over 2,560
   * bytes (800 characters is under that in UTF-8 and UTF-16 alike).
   * @default 800 on Windows, unlimited elsewhere
   */
  readonly maxEntrySize?: number;
}

/** Header of a value split over several entries: prefix, generation, count. */
const chunkPrefix = 'loopauth-chunked:v1:';

const hint = 'use --insecure-storage (--store file) to keep secrets in a 0600 file instead';

let keytarModule: Keytar | undefined;

/** Keychain calls that timed out and still hold a libuv worker thread. */
let stuckCalls = 0;

/**
 * Whether a keychain call timed out and never returned. Node joins its worker
 * threads at exit, so such a call would keep even `process.exit()` waiting
 * (on Linux, until D-Bus gives up, tens of seconds later): a CLI should then
 * end without that join.
 */
export function keychainCallStuck(): boolean {
  return stuckCalls > 0;
}

let pendingCalls = 0;

/** Whether any keychain call is still in flight (process.exit() would wait for its thread too). */
export function keychainCallPending(): boolean {
  return pendingCalls > 0;
}

function loadKeytar(): Promise<Keytar> {
  try {
    // require, not import(): keytar is CommonJS, and import() would start the
    // ESM loader and lex keytar's source on `loopauth token`'s hot path.
    keytarModule ??= requireModule('keytar') as Keytar;
    return Promise.resolve(keytarModule);
  } catch (e) {
    return Promise.reject(
      new LoopauthError(
        'keychain_unavailable',
        `the OS keychain cannot be used: the optional module keytar is not installed or did not load; ${hint}`,
        { code: (e as { code?: string }).code ?? 'MODULE_NOT_FOUND' },
      ),
    );
  }
}

/** A {@link SecretStore} in the OS keychain; entries are (service = app name, account = key). */
export class KeychainStore implements SecretStore {
  readonly kind = 'keychain';
  readonly #service: string;
  readonly #timeoutMs: number;
  readonly #maxEntry: number;

  constructor(options: KeychainStoreOptions = {}) {
    this.#service = options.service ?? 'loopauth';
    this.#timeoutMs = (options.timeout ?? 5) * 1000;
    this.#maxEntry = options.maxEntrySize ?? (process.platform === 'win32' ? 800 : Infinity);
    if (!(this.#maxEntry >= 64)) throw new TypeError('maxEntrySize must be at least 64');
  }

  async #call<T>(what: string, fn: (k: Keytar) => Promise<T>): Promise<T> {
    const keytar = await loadKeytar();
    const call = fn(keytar);
    pendingCalls++;
    void call.finally(() => pendingCalls--).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // The call still holds a libuv worker thread (the timer is cleared if it settles first).
        stuckCalls++;
        void call.finally(() => stuckCalls--).catch(() => undefined);
        reject(new LoopauthError('keychain_unavailable', `the OS keychain did not answer within ${this.#timeoutMs / 1000} s (is it locked?); ${hint}`, { code: 'ETIMEDOUT' }));
      }, this.#timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([call, timeout]);
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
    for (let attempt = 0; ; attempt++) {
      const head = await this.#call('reading a secret', (k) => k.getPassword(this.#service, key));
      if (head === null) return undefined;
      if (!head.startsWith(chunkPrefix)) return head;
      const [gen, count] = head.slice(chunkPrefix.length).split(':');
      const parts = await Promise.all(
        Array.from({ length: Number(count) }, (_, i) => this.#call('reading a secret', (k) => k.getPassword(this.#service, `${key}.chunk.${gen}.${i}`))),
      );
      if (parts.every((p) => p !== null)) return parts.join('');
      // A writer replaced the value between our reads; its new header is there by now.
      if (attempt >= 2) throw new LoopauthError('keychain_unavailable', `the keychain entry of ${key} is incomplete; run loopauth login`);
    }
  }

  /**
   * Large values go to numbered entries of a fresh generation first, then the
   * header that points at them, then the old generation is removed: a reader
   * never sees a mix, and a crash at any point leaves the old or new value.
   */
  async set(key: string, value: string): Promise<void> {
    const old = await this.#chunkList(key);
    if (value.length <= this.#maxEntry) {
      await this.#call('saving a secret', (k) => k.setPassword(this.#service, key, value));
    } else {
      const gen = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
      const parts: string[] = [];
      for (let i = 0; i < value.length; i += this.#maxEntry) parts.push(value.slice(i, i + this.#maxEntry));
      for (const [i, part] of parts.entries()) {
        await this.#call('saving a secret', (k) => k.setPassword(this.#service, `${key}.chunk.${gen}.${i}`, part));
      }
      await this.#call('saving a secret', (k) => k.setPassword(this.#service, key, `${chunkPrefix}${gen}:${parts.length}`));
    }
    await this.#deleteChunks(old);
  }

  async delete(key: string): Promise<boolean> {
    const old = await this.#chunkList(key);
    const deleted = await this.#call('deleting a secret', (k) => k.deletePassword(this.#service, key));
    await this.#deleteChunks(old);
    return deleted;
  }

  async #chunkList(key: string): Promise<string[]> {
    const head = await this.#call('reading a secret', (k) => k.getPassword(this.#service, key));
    if (!head?.startsWith(chunkPrefix)) return [];
    const [gen, count] = head.slice(chunkPrefix.length).split(':');
    return Array.from({ length: Number(count) || 0 }, (_, i) => `${key}.chunk.${gen}.${i}`);
  }

  async #deleteChunks(accounts: string[]): Promise<void> {
    for (const account of accounts) await this.#call('deleting a secret', (k) => k.deletePassword(this.#service, account));
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
