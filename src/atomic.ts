/**
 * Atomic file replacement: a temporary file in the same folder, fsync'd,
 * renamed over the old one. A process killed at any point leaves either the
 * old file or the new one, never a torn one.
 *
 * Not write-file-atomic: it resolves the target with realpath() and writes
 * through a symlink planted in our place; rename() replaces the link itself.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';

/** Test-only fault injection: called with the step about to run. */
let faultHook: ((step: 'write' | 'rename') => void) | undefined;

/** @internal Installs a fault-injection hook (tests only). */
export function setAtomicWriteFaultHook(hook: typeof faultHook): void {
  faultHook = hook;
}

/** Writes `data` to `file` atomically, creating it with `mode`. */
export async function writeFileAtomic(file: string, data: string, mode: number, encoding: BufferEncoding = 'utf8'): Promise<void> {
  // Unique enough with O_EXCL below; node:crypto is left out of `token`'s start-up path.
  const unique = `${process.pid}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 10)}`;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${unique}.tmp`);
  // O_EXCL|O_NOFOLLOW: never reuse or follow anything already at the temporary name.
  const handle = await fs.open(tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, mode);
  try {
    faultHook?.('write');
    await handle.writeFile(data, encoding);
    await handle.chmod(mode); // the umask may have narrowed or widened nothing; be exact
    await handle.sync();
  } catch (e) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    faultHook?.('rename');
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await syncDir(path.dirname(file));
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Directories cannot be opened for fsync on Windows; the rename is still atomic.
  }
}
