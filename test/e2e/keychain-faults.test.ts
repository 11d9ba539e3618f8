/**
 * The keychain failing under loopauth: an entry that reads as empty (a locked
 * keyring), a daemon that stops answering (SIGSTOP), a daemon that is gone,
 * and no Secret Service at all. Each runs against a private gnome-keyring on a
 * private D-Bus, so that stopping it touches no other test.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_PATH, REPO_ROOT, removeTempConfigDirs, runCli, tempConfigDir } from '../helpers/cli.mjs';
import { lastLine } from '../support/output.js';
import { haveCommands, keytarLoads } from '../support/system.js';

const tools = haveCommands('dbus-run-session', 'gnome-keyring-daemon');

describe.skipIf(!tools || !keytarLoads())('keychain faults (private gnome-keyring)', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'loopauth-kc-faults-'));
  const run = spawnSync('dbus-run-session', ['--', path.join(REPO_ROOT, 'test/fixtures/keychain-faults.sh')], {
    env: { PATH: process.env.PATH, WORK: work, NODE: process.execPath, CLI: CLI_PATH },
    encoding: 'utf8',
    timeout: 60_000,
  });
  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await removeTempConfigDirs();
  });
  const cases = new Map(
    run.stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [name, code, ms, ...rest] = line.split(' ');
        return [name, { code: Number(code), seconds: Number(ms) / 1000, last: rest.join(' ') }] as const;
      }),
  );

  it('reports keychain_unavailable, not login_required, when a signed-in profile’s entry reads as empty (locked keyring)', () => {
    expect(cases.get('empty-entry')?.code).toBe(1);
    expect(cases.get('empty-entry')?.last).toMatch(/^loopauth: keychain_unavailable: /);
  });

  it('fails with keychain_unavailable within a few seconds when the daemon stops answering, and the process is gone', () => {
    const c = cases.get('stopped-daemon');
    expect(c?.last).toMatch(/^loopauth: keychain_unavailable: .*did not answer/);
    // Beyond what the same command took with a daemon that answers (node's start-up, which a
    // busy machine stretches to seconds): the 5 s the keychain is given, and little more.
    expect(c!.seconds - cases.get('empty-entry')!.seconds).toBeLessThan(7);
    expect(c?.code).not.toBe(0);
  });

  it('exits 130 when Ctrl-C cut status short, even though the keychain answered and status got to its end', () => {
    expect(cases.get('interrupted-status')?.code).toBe(130);
  });

  it('fails with keychain_unavailable at once when the daemon is gone', () => {
    const c = cases.get('daemon-gone');
    expect(c?.last).toMatch(/^loopauth: keychain_unavailable: /);
    expect(c?.seconds).toBeLessThan(8);
  });

  it('fails login with keychain_unavailable naming --insecure-storage when there is no Secret Service, and writes no secret file', async () => {
    const config = await tempConfigDir();
    const r = await runCli(['login', '--issuer', 'http://127.0.0.1:9', '--client-id', 'x', '--no-browser'], {
      env: { XDG_CONFIG_HOME: config, DBUS_SESSION_BUS_ADDRESS: undefined, DISPLAY: undefined },
    });
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/^loopauth: keychain_unavailable: .*--insecure-storage/);
    expect(readdirSync(config, { recursive: true }).filter((f) => String(f).includes('secret'))).toEqual([]);
  });

  it('fails login with keychain_unavailable at once, not with a timeout, when there is no Secret Service and the server never answers', async () => {
    const silent = net.createServer(() => undefined).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as net.AddressInfo;
    const started = Date.now();
    const r = await runCli(['login', '--issuer', `http://127.0.0.1:${port}`, '--client-id', 'x', '--no-browser', '--timeout', '30'], {
      env: { XDG_CONFIG_HOME: await tempConfigDir(), DBUS_SESSION_BUS_ADDRESS: undefined, DISPLAY: undefined },
    });
    silent.close();
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/^loopauth: keychain_unavailable: .*--insecure-storage/);
    expect(Date.now() - started).toBeLessThan(15_000); // half the --timeout: the store's failure did not wait for discovery
  });
});
