/**
 * Secrets in plain files of mode 0600, one per key: what `--store file`
 * (`--insecure-storage`) chooses knowingly, never a silent fallback.
 */
import { closeSync, constants, fstatSync, openSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { LoopauthError } from '../errors.js';
import type { SecretStore } from './types.js';
import { writeFileAtomic } from '../atomic.js';

/** Options of {@link FileStore}. */
export interface FileStoreOptions {
  /** Folder that holds one file per key (created with mode 0700). */
  readonly directory: string;
}

/**
 * A {@link SecretStore} in files. Writes are atomic (a temporary file renamed
 * over the old one, so a crash never leaves a torn file) and a file replaced
 * by a symlink is refused rather than followed.
 */
export class FileStore implements SecretStore {
  readonly kind = 'file';
  readonly #dir: string;

  constructor(options: FileStoreOptions) {
    this.#dir = options.directory;
  }

  #file(key: string): string {
    if (!/^[A-Za-z0-9._@-]{1,200}$/.test(key) || key.startsWith('.')) throw new TypeError('invalid secret key');
    return path.join(this.#dir, `${key}.secret`);
  }

  /**
   * Synchronous calls inside on purpose: this is `loopauth token`'s hot path,
   * and reading one small file costs microseconds, less than loading
   * fs/promises' FileHandle.
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- async for the SecretStore contract (misuse rejects, never throws)
  async get(key: string): Promise<string | undefined> {
    const file = this.#file(key);
    let fd: number;
    try {
      // O_NOFOLLOW: a symlink planted in our place must not redirect the read.
      // O_NONBLOCK: a FIFO planted there must not hang us (it is refused below).
      fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ELOOP') throw new LoopauthError('store_failed', `${file} is a symbolic link; refusing to read secrets through it`);
      throw readFailure(file, e);
    }
    try {
      if (!fstatSync(fd).isFile()) throw new LoopauthError('store_failed', `${file} is not a regular file`);
      return readFileSync(fd, 'utf8');
    } catch (e) {
      throw e instanceof LoopauthError ? e : readFailure(file, e);
    } finally {
      closeSync(fd);
    }
  }

  async set(key: string, value: string): Promise<void> {
    const file = this.#file(key);
    try {
      await fs.mkdir(this.#dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(file, value, 0o600);
    } catch (e) {
      if (e instanceof LoopauthError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new LoopauthError('store_failed', `cannot write ${file} (${code ?? 'error'})`, { code: code ?? 'ERROR' });
    }
  }

  async delete(key: string): Promise<boolean> {
    const file = this.#file(key);
    try {
      await fs.unlink(file); // unlink removes a symlink itself, never its target
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false;
      throw new LoopauthError('store_failed', `cannot delete ${file} (${code ?? 'error'})`, { code: code ?? 'ERROR' });
    }
  }

  async check(): Promise<void> {
    try {
      await fs.mkdir(this.#dir, { recursive: true, mode: 0o700 });
      await fs.access(this.#dir, constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new LoopauthError('store_failed', `cannot write secrets to ${this.#dir} (${code ?? 'error'})`, { code: code ?? 'ERROR' });
    }
  }
}

function readFailure(file: string, e: unknown): LoopauthError {
  const code = (e as NodeJS.ErrnoException).code;
  return new LoopauthError('store_failed', `cannot read ${file} (${code ?? 'error'})`, { code: code ?? 'ERROR' });
}
