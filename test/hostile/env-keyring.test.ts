/**
 * A keyring that is really locked: a private gnome-keyring on a private D-Bus
 * (so that locking it touches no other test), a session saved in it, then the
 * login collection locked through the Secret Service API with no prompter to
 * unlock it (a headless box after the screen locked, or a keyring never
 * unlocked at login). test/e2e/keychain-faults.test.ts covers a daemon that
 * is stopped, gone or absent, and an entry that reads as empty.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH } from '../helpers/cli.mjs';
import { startHostileServer } from './support/server.js';
import { recordingBrowser, readRecord } from './support/server.run.js';
import { filesUnder, haveCommands, keytarLoads } from '../support/system.js';

const tools = haveCommands('dbus-run-session', 'gnome-keyring-daemon', 'gdbus');

// Prints "<step> <exit> <last stderr line>" per step.
const script = `set -u
export XDG_DATA_HOME="$WORK/data" XDG_RUNTIME_DIR="$WORK/run" XDG_CONFIG_HOME="$WORK/config"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
step() { name=$1; shift; err=$("$@" 2>&1 >/dev/null); printf '%s %s %s\\n' "$name" "$?" "$(printf '%s' "$err" | tail -n 1)"; }
step login "$NODE" "$CLI" login --issuer "$ISSUER" --client-id hostile-cli --timeout 10
step token-unlocked "$NODE" "$CLI" token
gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \\
  --method org.freedesktop.Secret.Service.Lock "['/org/freedesktop/secrets/collection/login']" >/dev/null
step token-locked "$NODE" "$CLI" token --min-ttl 0
step login-locked "$NODE" "$CLI" login --issuer "$ISSUER" --client-id hostile-cli --timeout 10
step logout-locked "$NODE" "$CLI" logout
cp "$XDG_CONFIG_HOME/loopauth/profiles/default.json" "$WORK/profile-after.json"
`;

describe.skipIf(!tools || !keytarLoads())('a locked keyring (a private gnome-keyring, locked through the Secret Service API)', () => {
  let steps: Map<string, { code: number; last: string }>;
  let tokenRequests = 0;
  let leaks: string[] = [];
  let work = '';

  // In a hook, not in the describe body: vitest runs the body to collect the tests even when it skips them.
  let ran: Promise<void> = Promise.resolve();
  beforeAll(() => {
    ran = run();
  });
  afterAll(async () => {
    await ran.catch(() => undefined);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function run(): Promise<void> {
    work = mkdtempSync(path.join(tmpdir(), 'loopauth-locked-'));
    const record = path.join(work, 'browser.jsonl');
    const s = await startHostileServer();
    try {
      // Async on purpose: the hostile server answers from this process meanwhile.
      const child = spawn('dbus-run-session', ['--', 'bash', '-c', script], {
        env: { PATH: process.env.PATH, WORK: work, NODE: process.execPath, CLI: CLI_PATH, ISSUER: s.issuer, BROWSER: recordingBrowser(record) },
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      await new Promise((resolve, reject) => child.on('close', resolve).on('error', reject));
      tokenRequests = s.tokenRequests();
      // With the keychain as the store, no file under the config folder may hold a secret.
      const config = path.join(work, 'config');
      leaks = filesUnder(config).flatMap((f) => {
        const text = readFileSync(path.join(config, f), 'utf8');
        return s.secrets.filter((secret) => secret.length >= 8 && text.includes(secret)).map(() => f);
      });
      steps = new Map(
        out.trim().split('\n').map((line) => {
          const [name, code, ...rest] = line.split(' ');
          return [name!, { code: Number(code), last: rest.join(' ') }] as const;
        }),
      );
    } finally {
      await s.close();
    }
  }

  it('signs in and reads the token while the keyring is unlocked (control), with no secret in any file of the config folder', async () => {
    await ran;
    expect(steps.get('login')?.code).toBe(0);
    expect(steps.get('token-unlocked')?.code).toBe(0);
    expect(leaks).toEqual([]);
  });

  it('fails token with keychain_unavailable (exit 1, not "no session"), sending nothing to the server', async () => {
    await ran;
    expect(steps.get('token-locked')?.last).toMatch(/^loopauth: keychain_unavailable: /);
    expect(steps.get('token-locked')?.code).toBe(1);
    expect(tokenRequests).toBe(1); // the first login's code exchange; the cached token needed no refresh
  });

  it('fails a new login with keychain_unavailable before the browser opens, and keeps the signed-in profile (through the logout below too)', async () => {
    await ran;
    expect(steps.get('login-locked')?.last).toMatch(/^loopauth: keychain_unavailable: /);
    expect(readRecord(path.join(work, 'browser.jsonl')).launches).toHaveLength(1); // the first, unlocked login only
    const profile = JSON.parse(readFileSync(path.join(work, 'profile-after.json'), 'utf8')) as { hasSession: boolean };
    expect(profile.hasSession).toBe(true);
  });

  it('fails logout with keychain_unavailable rather than claiming the secrets are gone', async () => {
    await ran;
    expect(steps.get('logout-locked')?.last).toMatch(/^loopauth: keychain_unavailable: /);
    expect(steps.get('logout-locked')?.code).toBe(1);
  });
});
