/**
 * The desktop around a sign-in is missing pieces: BROWSER names a command
 * that does not exist, HOME is unset. Against a hostile server that tells the
 * truth, so that only the environment is at fault.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_PATH, runCli, startCli, tempConfigDir } from '../helpers/cli.mjs';
import { hostileServers } from './support/servers.js';
import { loginAgainst, secretLeaks } from './support/server.run.js';
import { canMount } from '../support/system.js';

const { hostile } = hostileServers();

describe('BROWSER set to a command that does not exist', () => {
  it('still prints the URL on a line of its own, says the browser failed, and completes when the redirect URL is pasted (--paste)', async () => {
    const s = await hostile();
    const config = await tempConfigDir();
    const cli = startCli(['login', '--issuer', s.issuer, '--client-id', 'hostile-cli', '--store', 'file', '--paste', '--timeout', '15'], {
      env: { XDG_CONFIG_HOME: config, BROWSER: '/nonexistent/bin/browser --new-window' },
    });
    const url = await cli.waitForAuthorizationUrl(`${s.issuer}/authorize`);
    await cli.waitForStderrLine(/BROWSER command .*ENOENT.*open the URL above/);
    // The person opens the printed URL on another machine; its browser ends on the redirect URL.
    const redirect = (await fetch(url, { redirect: 'manual' })).headers.get('location')!;
    cli.child.stdin!.write(`${redirect}\n`);
    const r = await cli.waitForExit();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Signed in as hostile-user');
    expect(r.stderr).not.toContain(new URL(redirect).searchParams.get('code')!);
    expect((await runCli(['token'], { env: { XDG_CONFIG_HOME: config } })).code).toBe(0);
  });
});

// A private mount namespace gives the test a throw-away home folder.
describe.skipIf(!canMount())('HOME unset (the home folder from the password database, a throw-away tmpfs over it)', () => {
  it('signs in and keeps the profile under ~/.config/loopauth of the password database’s home, and status finds it', async () => {
    const s = await hostile();
    const home = userInfo().homedir;
    const config = await tempConfigDir(); // only for the browser record; loopauth must not use it
    const listing = `${config}.listing`;
    const script = `set -e; home=$1; listing=$2; shift 2; mount -t tmpfs -o size=4m tmpfs "$home"
set +e; "$@"; rc=$?; "$NODE" "$CLI" status --json > "$listing.status" 2>&1
find "$home" -type f | sed "s|^$home/||" | grep -v '\\.lock' | sort > "$listing"; exit $rc`;
    const run = await loginAgainst(s, [], { XDG_CONFIG_HOME: undefined, HOME: undefined, NODE: process.execPath, CLI: CLI_PATH }, {
      config,
      wrap: () => ['unshare', '-m', 'sh', '-c', script, 'sh', home, listing],
    });
    expect(run.stderr).toContain(path.join(home, '.config', 'loopauth', 'secrets'));
    expect(run.code).toBe(0);
    const files = readFileSync(listing, 'utf8').trim().split('\n');
    expect(files).toContain(path.join('.config', 'loopauth', 'profiles', 'default.json'));
    expect(files.some((f) => f.startsWith(path.join('.config', 'loopauth', 'secrets')))).toBe(true);
    expect(JSON.parse(readFileSync(`${listing}.status`, 'utf8'))).toMatchObject({ profile: 'default', subject: 'hostile-user' });
    expect(secretLeaks(run, s.secrets)).toEqual([]);
  });

  it('reports no profile (exit 3) for token and status with HOME unset and nothing signed in, instead of crashing', () => {
    const home = userInfo().homedir;
    for (const command of ['token', 'status']) {
      const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$1" && shift && exec "$@"', 'sh', home, process.execPath, CLI_PATH, command], {
        env: { PATH: process.env.PATH },
        encoding: 'utf8',
      });
      expect(r.status).toBe(3);
      expect(r.stderr).not.toMatch(/TypeError|at .*\.js:\d+/);
    }
  });
});
