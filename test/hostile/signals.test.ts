/**
 * Ctrl-C and SIGTERM at the moments test/e2e/cli.test.ts does not reach:
 * during login with the keychain store, after the browser came back but
 * before the code exchange finished, with the listener full of idle
 * connections, and in the middle of a refresh in `loopauth token`. The real
 * CLI, the real oidc-provider, real Chromium, the real keychain.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer } from '../helpers/auth-server.mjs';
import type { AuthServer } from '../helpers/auth-server.mjs';
import { launchChromium, signInWithBrowser } from '../helpers/browser.mjs';
import { removeTempConfigDirs, runCli, startCli, startLogin, tempConfigDir } from '../helpers/cli.mjs';
import { expectNoSecrets, signInSecrets } from './support/secrets.js';
import { lastLine } from '../support/output.js';
import { filesUnder, portIsFree } from '../support/system.js';

let rotating: AuthServer;
let fixed: AuthServer;
let browser: Browser;
const keychainWorks = Boolean(process.env.DBUS_SESSION_BUS_ADDRESS) && !process.env.LOOPAUTH_TEST_NODE24;

beforeAll(async () => {
  [rotating, fixed, browser] = await Promise.all([startAuthServer(), startAuthServer({ rotateRefreshTokens: false }), launchChromium()]);
});
afterAll(async () => {
  await Promise.all([rotating?.close(), fixed?.close(), browser?.close()]);
  await removeTempConfigDirs();
});

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The keychain accounts (under loopauth's service) whose name mentions `profile`. */
async function keychainAccounts(profile: string): Promise<string[]> {
  const keytar = createRequire(import.meta.url)('keytar') as { findCredentials(service: string): Promise<{ account: string }[]> };
  return (await keytar.findCredentials('loopauth')).map((c) => c.account).filter((a) => a.includes(profile));
}

describe('signals during login', () => {
  it.runIf(keychainWorks).each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s while waiting, with the keychain store: exit %i, the port freed, no profile or secret written anywhere', async (signal, code) => {
    const env = { XDG_CONFIG_HOME: await tempConfigDir() };
    const profile = `signal-${signal}-${Date.now()}`;
    const { cli, port } = await startLogin(rotating.issuer, ['--store', 'keychain', '--profile', profile], { env });
    cli.kill(signal);
    const r = await cli.waitForExit();
    expect(r.code).toBe(code);
    expect(r.durationMs).toBeLessThan(10_000);
    expect(lastLine(r.stderr)).toMatch(/^loopauth: cancelled: /);
    expect(r.stdout).toBe('');
    expect(await portIsFree(port)).toBe(true);
    expect(filesUnder(path.join(env.XDG_CONFIG_HOME, 'loopauth'))).toEqual([]);
    expect((await runCli(['status', '--profile', profile], { env })).code).toBe(3);
    expect(await keychainAccounts(profile)).toEqual([]);
  });

  it.runIf(keychainWorks)('(control) a completed keychain login does leave entries named after its profile, which the check above would see', async () => {
    const env = { XDG_CONFIG_HOME: await tempConfigDir() };
    const profile = `signal-control-${Date.now()}`;
    const { cli, url } = await startLogin(rotating.issuer, ['--store', 'keychain', '--profile', profile], { env });
    expect((await signInWithBrowser(browser, url)).status).toBe(200);
    expect((await cli.waitForExit()).code).toBe(0);
    expect((await keychainAccounts(profile)).length).toBeGreaterThan(0);
    expect((await runCli(['logout', '--profile', profile, '--no-revoke'], { env })).code).toBe(0);
  });

  it('SIGINT after the browser came back, while the code is being exchanged: exit 130, the tab says it failed, nothing saved, no code or verifier printed', async () => {
    const env = { XDG_CONFIG_HOME: await tempConfigDir() };
    const { cli, url, port } = await startLogin(rotating.issuer, ['--store', 'file'], { env });
    rotating.clearRequests();
    rotating.setDelay(3_000, { path: '/token' });
    const tab = signInWithBrowser(browser, url);
    try {
      await until(() => rotating.tokenRequests().length > 0, 'the code exchange');
      cli.kill('SIGINT');
      const r = await cli.waitForExit();
      const page = await tab;
      expect(r.code).toBe(130);
      expect(page.text).not.toMatch(/signed in/i);
      expect(await portIsFree(port)).toBe(true);
      expect(filesUnder(path.join(env.XDG_CONFIG_HOME, 'loopauth'))).toEqual([]);
      const secrets = signInSecrets(url, page.url);
      expect(secrets.code).toBeTruthy();
      expectNoSecrets(r.stdout + r.stderr, secrets);
    } finally {
      rotating.setDelay(0);
      // Should a check above fail early, the CLI and the tab waiting on it end here, not under the next test.
      if (cli.child.exitCode === null) cli.kill('SIGKILL');
      await tab.catch(() => undefined);
    }
  });

  it('SIGTERM while 200 idle connections hold the listener: exit 143 within 2 s and the port freed', async () => {
    const env = { XDG_CONFIG_HOME: await tempConfigDir() };
    const { cli, port } = await startLogin(rotating.issuer, ['--store', 'file'], { env });
    const idle = await Promise.all(
      Array.from({ length: 200 }, () => new Promise<net.Socket>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
        s.on('error', () => undefined);
      })),
    );
    const started = Date.now();
    cli.kill('SIGTERM');
    const r = await cli.waitForExit();
    expect(r.code).toBe(143);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await portIsFree(port)).toBe(true);
    for (const s of idle) s.destroy();
  });
});

/** A signed-in profile in the file store, in a config folder of its own. */
async function signedIn(server: AuthServer): Promise<Record<string, string>> {
  const env = { XDG_CONFIG_HOME: await tempConfigDir() };
  const { cli, url } = await startLogin(server.issuer, ['--store', 'file'], { env });
  expect((await signInWithBrowser(browser, url)).status).toBe(200);
  expect((await cli.waitForExit()).code).toBe(0);
  return env;
}

function storedRefreshToken(env: Record<string, string>): string {
  const dir = path.join(env.XDG_CONFIG_HOME!, 'loopauth', 'secrets');
  const file = readdirSync(dir).find((f) => f.endsWith('.secret'))!;
  return (JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { refresh_token: string }).refresh_token;
}

describe('SIGINT during a refresh in loopauth token', () => {
  it.each([
    ['a server that keeps refresh tokens', () => fixed],
    ['a server that rotates refresh tokens', () => rotating],
  ])('against %s: exit 130 with nothing on stdout, the lock released at once, and the stored refresh token still works', async (_what, serverOf) => {
    const server = serverOf();
    const env = await signedIn(server);
    const before = storedRefreshToken(env);
    server.clearRequests();
    server.setDelay(1_000, { path: '/token' });
    let r;
    try {
      const cli = startCli(['token', '--min-ttl', '999999'], { env });
      await until(() => server.tokenRequests().length > 0, 'the refresh request');
      cli.kill('SIGINT');
      r = await cli.waitForExit();
    } finally {
      server.setDelay(0);
    }
    expect(r.code).toBe(130);
    expect(existsSync(path.join(env.XDG_CONFIG_HOME!, 'loopauth', 'locks', 'default.lock')), 'the lock was left behind').toBe(false);
    expect(r.stdout).toBe('');
    expect(lastLine(r.stderr)).toMatch(/^loopauth: cancelled: /);
    expect(r.stderr.includes(before), 'the refresh token was printed').toBe(false);
    // The answer that was on its way was saved: a rotating server's new refresh token is kept.
    if (server === rotating) expect(storedRefreshToken(env) === before, 'the rotated refresh token was not saved').toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // the server has finished the abandoned request
    const next = await runCli(['token', '--min-ttl', '999999'], { env });
    expect(next.code).toBe(0);
    expect(server.tokenRequests().filter((q) => q.grantType === 'refresh_token').length).toBe(2);
    // And the grant is alive: one more refresh succeeds.
    expect((await runCli(['token', '--min-ttl', '999999'], { env })).code).toBe(0);
  });
});
