/**
 * The disk fails under a sign-in: a read-only config folder and a full one.
 * Tests run as root, where chmod proves nothing, so each case runs the CLI
 * in a private mount namespace (`unshare -m`) with a read-only bind mount or
 * a tiny, full tmpfs over the config folder; the mounts die with the process.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_PATH, tempConfigDir } from '../helpers/cli.mjs';
import { hostileServers } from './support/servers.js';
import { loginAgainst, secretLeaks } from './support/server.run.js';
import { canMount, filesUnder } from '../support/system.js';

// $1: mode, $2: the config folder, $3: where to list the files left (the tmpfs vanishes with the namespace); then the command.
const script = `set -e; mode=$1; dir=$2; listing=$3; shift 3
if [ "$mode" = ro ]; then mount --bind "$dir" "$dir"; mount -o remount,bind,ro "$dir"; fi
if [ "$mode" = full ]; then
  mount -t tmpfs -o size=512k tmpfs "$dir"; mkdir -p "$dir/loopauth/secrets" "$dir/loopauth/profiles"
  dd if=/dev/zero of="$dir/filler" bs=4096 2>/dev/null || true
fi
set +e; "$@"; rc=$?
find "$dir" -type f ! -name filler | sed "s|^$dir/||" | sort > "$listing"; exit $rc`;

const { hostile } = hostileServers();

async function loginOnDisk(mode: 'ro' | 'full') {
  const s = await hostile();
  const config = await tempConfigDir();
  const listing = `${config}.listing`;
  const run = await loginAgainst(s, [], {}, { config, wrap: (dir) => ['unshare', '-m', 'sh', '-c', script, 'sh', mode, dir, listing] });
  const left = readFileSync(listing, 'utf8').split('\n').filter((l) => l && !/\.lock(\/|$)/.test(l));
  return { s, run, left };
}

describe.skipIf(!canMount())('a config folder that cannot be written (real mounts in a private namespace)', () => {
  it('fails a login on a read-only config folder with store_failed before anything is launched, and writes nothing', async () => {
    const { s, run, left } = await loginOnDisk('ro');
    expect(run.code_).toBe('store_failed');
    expect(run.code).toBe(1);
    expect(run.launches).toEqual([]);
    // The store check runs alongside discovery: at most the metadata was read, nothing else was asked.
    expect(s.requests.filter((r) => !r.startsWith('GET /.well-known/'))).toEqual([]);
    expect(left).toEqual([]);
  });

  it('fails a login on a full disk (ENOSPC while writing the secrets) with store_failed: error page, no torn or temporary file, no profile', async () => {
    const { s, run, left } = await loginOnDisk('full');
    expect(run.stderr).toMatch(/ENOSPC/);
    expect(run.code_).toBe('store_failed');
    expect(run.code).toBe(1);
    expect(run.page?.status).toBe(400);
    expect(left).toEqual([]);
    expect(secretLeaks(run, s.secrets)).toEqual([]);
  });

  it('prints no access token when the disk fills before a rotated refresh token is saved: store_failed, and the next token still works once there is room', async () => {
    const s = await hostile({ token: (c) => ({ ...c.valid, expires_in: 1 }) });
    const config = await tempConfigDir();
    // Sign in with room, fill the disk, refresh (must fail), free the disk, refresh again.
    const fillThenRefresh = `set -e; dir=$1; out=$2; shift 2; mount -t tmpfs -o size=512k tmpfs "$dir"
set +e; "$@" 2>/dev/null; login=$?; sleep 1.1
dd if=/dev/zero of="$dir/filler" bs=4096 2>/dev/null
"$NODE" "$CLI" token > "$out.full.stdout" 2> "$out.full.stderr"; echo $? > "$out.full.code"
rm -f "$dir/filler"; "$NODE" "$CLI" token > "$out.room.stdout" 2>/dev/null; echo $? > "$out.room.code"; exit $login`;
    const out = `${config}.out`;
    const run = await loginAgainst(s, [], { NODE: process.execPath, CLI: CLI_PATH }, { config, wrap: (dir) => ['unshare', '-m', 'sh', '-c', fillThenRefresh, 'sh', dir, out] });
    expect(run.code).toBe(0);
    const read = (f: string) => readFileSync(`${out}.${f}`, 'utf8').trim();
    expect(read('full.stderr')).toMatch(/loopauth: store_failed: .*ENOSPC/);
    expect(read('full.code')).toBe('1');
    expect(read('full.stdout')).toBe('');
    // The rotated token could not be kept (the disk was full); this server accepts the old one again, so token works once there is room.
    expect(read('room.code')).toBe('0');
    expect(read('room.stdout')).toMatch(/^at-/);
  });

  it('signs in on the same mounts when the disk has room (control: the namespace wrapper itself works)', async () => {
    const s = await hostile();
    const config = await tempConfigDir();
    const run = await loginAgainst(s, [], {}, { config, wrap: (dir) => ['unshare', '-m', 'sh', '-c', script, 'sh', 'none', dir, `${config}.listing`] });
    expect(run.code).toBe(0);
    expect(filesUnder(config)).toContain(path.join('loopauth', 'profiles', 'default.json'));
  });
});
