/**
 * Command-line promises of the contract that the other e2e files leave out:
 * status states and their exit codes, token --min-ttl against short-lived
 * tokens, logout when the server cannot revoke. A real oidc-provider on
 * loopback, real headless Chromium signing in, the file store.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer } from '../helpers/auth-server.mjs';
import type { AuthServer } from '../helpers/auth-server.mjs';
import { launchChromium, signInWithBrowser } from '../helpers/browser.mjs';
import { removeTempConfigDirs, runCli, startCli, startLogin, tempConfigDir } from '../helpers/cli.mjs';
import { lastLine } from '../support/output.js';

let server: AuthServer;
let shortLived: AuthServer;
let browser: Browser;

beforeAll(async () => {
  [server, shortLived, browser] = await Promise.all([startAuthServer(), startAuthServer({ accessTokenTtl: 30, idTokenTtl: 30 }), launchChromium()]);
});
afterAll(async () => {
  await Promise.all([server?.close(), shortLived?.close(), browser?.close()]);
  await removeTempConfigDirs();
});


/** Signs in with `login --store file --no-browser` and Chromium; returns the environment of that profile. */
async function signedIn(s: AuthServer = server): Promise<Record<string, string>> {
  const env = { XDG_CONFIG_HOME: await tempConfigDir() };
  const { cli, url } = await startLogin(s.issuer, ['--store', 'file'], { env });
  await signInWithBrowser(browser, url);
  expect((await cli.waitForExit()).code).toBe(0);
  return env;
}

describe('status', () => {
  it('after logout says the profile needs a new login, exits 3, and ends stderr with loopauth: login_required', async () => {
    const env = await signedIn();
    expect((await runCli(['logout'], { env })).code).toBe(0);
    for (const args of [['status'], ['status', '--json']]) {
      const r = await runCli(args, { env });
      expect(r.code).toBe(3);
      expect(lastLine(r.stderr)).toMatch(/^loopauth: login_required: /);
    }
    const json = JSON.parse((await runCli(['status', '--json'], { env })).stdout) as { reason?: unknown };
    expect(json).toMatchObject({ profile: 'default', state: 'login_required', error: { code: 'login_required' } });
    expect(json.reason).toEqual(expect.any(String));
  });

  it('says expired (the next token refreshes it) once the access token has run out, and exits 0', async () => {
    const env = await signedIn(shortLived);
    await new Promise((r) => setTimeout(r, 31_000));
    const r = await runCli(['status', '--json'], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'expired' });
    // No token of the session, opaque or JWT, in what status printed.
    const stored = JSON.parse(readFileSync(path.join(env.XDG_CONFIG_HOME!, 'loopauth', 'secrets', 'default.secret'), 'utf8')) as Record<string, unknown>;
    const tokens = ['access_token', 'refresh_token', 'id_token'].map((k) => stored[k]).filter((t): t is string => typeof t === 'string');
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.some((t) => (r.stdout + r.stderr).includes(t)), 'status printed a token').toBe(false);
  }, 60_000);
});

describe('token --min-ttl', () => {
  it('defaults to 60 s: a 30 s token is refreshed on every call and printed all the same', async () => {
    const env = await signedIn(shortLived);
    const before = shortLived.tokenRequests().filter((q) => q.grantType === 'refresh_token').length;
    const a = await runCli(['token'], { env });
    const b = await runCli(['token'], { env });
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.stdout).toMatch(/^\S+\n$/);
    expect(b.stdout).not.toBe(a.stdout);
    expect(shortLived.tokenRequests().filter((q) => q.grantType === 'refresh_token').length - before).toBe(2);
    const c = await runCli(['token', '--min-ttl', '5'], { env });
    expect(c.stdout).toBe(b.stdout);
  });
});

describe('logout', () => {
  it('deletes the local secrets and exits 1 when the server cannot revoke; token then exits 3', async () => {
    const own = await startAuthServer();
    const env = await signedIn(own);
    await own.close();
    const r = await runCli(['logout'], { env });
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/^loopauth: [a-z_]+: /);
    expect(existsSync(path.join(env.XDG_CONFIG_HOME!, 'loopauth', 'secrets', 'default.secret'))).toBe(false);
    expect((await runCli(['token'], { env })).code).toBe(3);
  });
});

describe('client authentication', () => {
  it('sends the secret in the body (client_secret_post) when the server lists only that, for the exchange, refreshes and revocation, and PKCE all the same', async () => {
    const own = await startAuthServer({ clientAuthMethods: ['none', 'client_secret_post'] });
    try {
      const env = { XDG_CONFIG_HOME: await tempConfigDir(), LOOPAUTH_CLIENT_SECRET: 'post-secret-value-456' };
      const cli = startCli(['login', '--issuer', own.issuer, '--client-id', 'post-cli', '--no-browser', '--store', 'file'], { env });
      const url = await cli.waitForAuthorizationUrl(`${own.issuer}/auth`);
      expect(new URL(url).searchParams.get('code_challenge_method')).toBe('S256');
      await signInWithBrowser(browser, url);
      expect((await cli.waitForExit()).code).toBe(0);
      expect((await runCli(['token', '--min-ttl', '999999'], { env })).code).toBe(0);
      expect((await runCli(['logout'], { env })).code).toBe(0);
      const authenticated = own.requests.filter((q) => q.method === 'POST' && ['/token', '/token/revocation'].includes(q.path));
      expect(authenticated.map((q) => q.grantType ?? q.path)).toEqual(['authorization_code', 'refresh_token', '/token/revocation']);
      for (const q of authenticated) {
        expect(q.authorization ?? null).toBeNull();
        expect(q.params.client_secret).toBeDefined();
      }
    } finally {
      await own.close();
    }
  });
});

describe('signals while the keychain does not answer', () => {
  it.each([
    ['status', 'SIGINT', 130],
    ['token', 'SIGTERM', 143],
  ] as const)('%s ends within about 2 s of %s with the contract status (stand-in for a D-Bus that never replies)', async (cmd, signal, status) => {
    const env = await signedIn();
    const file = path.join(env.XDG_CONFIG_HOME!, 'loopauth', 'profiles', 'default.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"store": "file"', '"store": "keychain"'));
    const socket = path.join(env.XDG_CONFIG_HOME!, 'silent-bus.sock');
    let spoke!: () => void;
    const waiting = new Promise<void>((r) => (spoke = r));
    const silent = net.createServer((c) => c.on('data', () => spoke())).listen(socket);
    try {
      const cli = startCli([cmd], { env: { ...env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${socket}` } });
      // Once it has written to the bus it waits for an answer that never comes (a fixed 1 s
      // sleep could send the signal while node was still starting, on a busy machine).
      await Promise.race([waiting, cli.waitForExit()]);
      expect(cli.child.exitCode, 'it ended before asking the keychain').toBeNull();
      const sent = Date.now();
      cli.kill(signal);
      const r = await cli.waitForExit();
      expect(Date.now() - sent).toBeLessThan(3500);
      // Ended by the signal itself (a shell shows 130 / 143), or by exit(130 / 143).
      expect(r.code === status || r.signal === signal).toBe(true);
    } finally {
      silent.close();
    }
  });
});
