/**
 * What the machine shows after a test: whether a port is free again, which
 * files a folder holds, and whether this machine lets a test mount or run a
 * private gnome-keyring.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/cli.mjs';

/** Whether nothing accepts connections on 127.0.0.1:`port` any more (a listener that was closed). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer().once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Every file under `dir`, relative to it and sorted, lock files (and the files inside lock folders) aside; [] when `dir` does not exist. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => !/\.lock(\/|$)/.test(f) && statSync(path.join(dir, f)).isFile())
    .sort();
}

let mountable: boolean | undefined;

/** Whether this machine lets a test mount in a private namespace (`unshare -m`; root in some sandboxes may not). Asked once. */
export function canMount(): boolean {
  mountable ??= spawnSync('unshare', ['-m', 'sh', '-c', 'd=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d" && umount "$d" && rmdir "$d"']).status === 0;
  return mountable;
}

/** Whether every one of `commands` is on PATH here (the tools a private gnome-keyring runs with, say). */
export function haveCommands(...commands: string[]): boolean {
  return commands.every((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
}

/** Whether keytar's native module loads here (it is built from source at install; a failed build leaves none). */
export function keytarLoads(): boolean {
  return spawnSync(process.execPath, ['-e', "require('keytar')"], { cwd: REPO_ROOT }).status === 0;
}
