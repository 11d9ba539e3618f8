/**
 * The per-profile lock that `token`, `login` and `logout` hold across
 * read → refresh → write, so that concurrent processes never spend one
 * refresh token twice (servers with reuse detection revoke the whole grant).
 *
 * proper-lockfile: an atomic mkdir lock whose mtime the holder keeps fresh,
 * so a lock left by a killed process is stale, and taken over, within
 * seconds. mkdir is atomic on local filesystems and on NFSv3+; on network
 * filesystems with coarse mtime or clock skew between hosts, takeover of a
 * stale lock can come late (never early by more than the skew).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LoopauthError } from './errors.js';
import { requireModule } from './require.js';

/** A lock older than this (not refreshed by a live holder) is taken over. */
const staleMs = 5_000;

/** Options of {@link withProfileLock}. */
export interface LockOptions {
  /** Config root of the app. */
  readonly root: string;
  readonly profile: string;
  /** How long to wait for another holder, in ms. @default 60000 */
  readonly waitMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Starts loading the lock library now, while a person signs in in the
 * browser, so that saving the session after the callback does not wait for
 * it (proper-lockfile with graceful-fs is the largest module on that path).
 */
export function preloadLock(): void {
  setImmediate(() => {
    try {
      loadLockfile();
    } catch {
      // withProfileLock reports it
    }
  });
}

// require, not import(): proper-lockfile is CommonJS, and import() would
// start the ESM loader and lex its source first.
const loadLockfile = (): typeof import('proper-lockfile') => requireModule('proper-lockfile') as typeof import('proper-lockfile');

/** Runs `fn` while holding the profile's lock. */
export async function withProfileLock<T>(options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lockfile = loadLockfile();
  const dir = path.join(options.root, 'locks');
  await fs.mkdir(dir, { recursive: true, mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
    throw new LoopauthError('lock_failed', `cannot create the lock folder ${dir} (${e.code ?? 'error'})`, { code: e.code ?? 'ERROR' });
  });
  const target = path.join(dir, options.profile);
  const deadline = Date.now() + (options.waitMs ?? 60_000);
  let compromised: Error | undefined;
  let release: (() => Promise<void>) | undefined;
  while (!release) {
    if (options.signal?.aborted) throw new LoopauthError('cancelled', 'cancelled while waiting for the profile lock');
    try {
      release = await lockfile.lock(target, {
        realpath: false,
        stale: staleMs,
        update: 1_000,
        retries: 0,
        onCompromised: (e) => {
          compromised = e;
        },
      });
    } catch (e) {
      if ((e as { code?: string }).code !== 'ELOCKED') {
        const code = (e as { code?: string }).code ?? 'ERROR';
        throw new LoopauthError('lock_failed', `cannot lock profile ${options.profile} (${code})`, { code });
      }
      if (Date.now() > deadline) {
        throw new LoopauthError('lock_failed', `profile ${options.profile} is locked by another loopauth process; try again`);
      }
      await new Promise((r) => setTimeout(r, 25 + Math.random() * 50));
    }
  }
  try {
    const result = await fn();
    if (compromised) throw new LoopauthError('lock_failed', `the lock of profile ${options.profile} was lost while working`);
    return result;
  } finally {
    await release().catch(() => undefined);
  }
}
