/**
 * The CLI end to end, as a person uses it: a real oidc-provider over HTTPS
 * (throwaway CA), real headless Chromium signing in, the real keychain
 * (gnome-keyring under scripts/with-keyring.sh) or the file store. What the
 * server saw is asserted from its own request log.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer } from '../helpers/auth-server.mjs';
import type { AuthServer } from '../helpers/auth-server.mjs';
import { launchChromium, signInWithBrowser } from '../helpers/browser.mjs';
import { removeTempConfigDirs, runCli, startCli, startLogin, tempConfigDir } from '../helpers/cli.mjs';
import { trustCaInProcess } from '../helpers/tls.mjs';
import { lastLine } from '../support/output.js';
import { expectNotIn } from '../hostile/support/secrets.js';
import { filesUnder, portIsFree } from '../support/system.js';

let server: AuthServer;
let denyServer: AuthServer;
let browser: Browser;
const keychainWorks = Boolean(process.env.DBUS_SESSION_BUS_ADDRESS) && !process.env.LOOPAUTH_TEST_NODE24;

beforeAll(async () => {
  [server, denyServer, browser] = await Promise.all([
    startAuthServer({ https: true }),
    startAuthServer({ https: true, autoConsent: false }),
    launchChromium(),
  ]);
});
afterAll(async () => {
  await Promise.all([server?.close(), denyServer?.close(), browser?.close()]);
  await removeTempConfigDirs();
});

async function env(extra: Record<string, string> = {}, s: AuthServer = server): Promise<Record<string, string>> {
  return { XDG_CONFIG_HOME: await tempConfigDir(), NODE_EXTRA_CA_CERTS: s.caFile!, ...extra };
}

/** Runs `loopauth login --no-browser` and signs in with Chromium like a person would. */
async function signIn(e: Record<string, string>, args: string[] = [], action: 'allow' | 'deny' = 'allow', s: AuthServer = server) {
  const { cli, url } = await startLogin(s.issuer, args, { env: e });
  const page = await signInWithBrowser(browser, url, { action });
  return { url, page, result: await cli.waitForExit() };
}

describe('bad input', () => {
  it('refuses a login without --issuer as a usage error naming --issuer (exit 2)', async () => {
    const r = await runCli(['login', '--client-id', 'x'], { env: await env() });
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toMatch(/^loopauth: usage: .*--issuer/);
  });

  it.each([
    ['an unknown flag', ['--bogus']],
    ['a --store that is not a choice', ['--store', 'memory']],
    ['a --flow that is not a choice', ['--flow', 'sideways']],
    ['an empty --scope', ['--scope', '']],
  ])('stops at %s with exit 2 before discovering, listening or printing a URL', async (_, extra) => {
    const before = server.requests.length;
    const r = await runCli(['login', '--issuer', server.issuer, '--client-id', 'demo-cli', '--no-browser', '--timeout', '5', ...extra], { env: await env() });
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toMatch(/^loopauth: usage: /);
    expect(r.stderr).not.toContain('/auth?');
    expect(server.requests.length).toBe(before);
  });

  it('names an unknown command, and an unknown flag once, with exit 2', async () => {
    const r = await runCli(['bogus'], { env: await env() });
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toMatch(/^loopauth: usage: .*"bogus"/);
    const f = await runCli(['status', '--client-id', 'x'], { env: await env() });
    expect(f.code).toBe(2);
    expect(lastLine(f.stderr)).toBe('loopauth: usage: Unknown argument: client-id');
  });

  it('takes any absolute URI as --resource (RFC 8707: urn:, api://), and refuses a relative one or a fragment with exit 2', async () => {
    const { cli, url } = await startLogin(server.issuer, ['--store', 'file', '--resource', 'urn:example:api'], { env: await env() });
    expect(new URL(url).searchParams.getAll('resource')).toEqual(['urn:example:api']);
    cli.kill('SIGTERM'); // not a --timeout: a short one could end it before the URL on a busy machine
    expect((await cli.waitForExit()).code).toBe(143);
    for (const bad of ['api', 'https://api.example/#x']) {
      const r = await runCli(['login', '--issuer', server.issuer, '--client-id', 'demo-cli', '--no-browser', '--store', 'file', '--resource', bad], { env: await env() });
      expect(r.code).toBe(2);
      expect(lastLine(r.stderr)).toMatch(/^loopauth: usage: --resource/);
    }
  });

  it('refuses --profile, --min-ttl or --port without a value (an unset shell variable) with exit 2 instead of using the default', async () => {
    for (const args of [['login', '--profile'], ['token', '--profile'], ['status', '--profile'], ['logout', '--profile'], ['token', '--min-ttl'], ['login', '--port']]) {
      const r = await runCli(args, { env: await env() });
      expect(r.code).toBe(2);
      expect(lastLine(r.stderr)).toMatch(new RegExp(`^loopauth: usage: .*${args[1]!.slice(2)}`));
    }
  });

  it('refuses an unknown flag on status and logout with exit 2 and a JSON error', async () => {
    for (const cmd of ['status', 'logout']) {
      const r = await runCli([cmd, '--json', '--bogus'], { env: await env() });
      expect(r.code).toBe(2);
      expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'usage' } });
    }
  });

  it('refuses an http issuer on a non-loopback host with insecure_url before listening or opening anything', async () => {
    const r = await runCli(['login', '--issuer', 'http://example.com', '--client-id', 'x', '--store', 'file'], { env: await env() });
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/^loopauth: insecure_url: /);
    expect(r.stderr).not.toMatch(/https?:\/\/example\.com\/.*auth\?/);
  });

  it('fails at once with port_in_use naming a busy --port', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const r = await runCli(['login', '--issuer', server.issuer, '--client-id', 'demo-cli', '--no-browser', '--store', 'file', '--port', String(port)], { env: await env() });
    blocker.close();
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(new RegExp(`^loopauth: port_in_use: .*${port}`));
  });
});

describe('signing in with the file store', () => {
  it('signs in, saves only non-secrets in the profile and secrets in a 0600 file, and the token works at the server', async () => {
    const e = await env();
    server.clearRequests();
    const { url, page, result } = await signIn(e, ['--store', 'file', '--param', 'prompt=consent', '--scope', 'openid offline_access profile']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/signed in/i);
    expect(result.stderr).toMatch(/plain file/);
    expect(result.stderr.split('\n')).toContain(url);
    const auth = new URL(url).searchParams;
    expect(auth.get('code_challenge_method')).toBe('S256');
    expect(auth.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(auth.get('prompt')).toBe('consent');
    expect(auth.get('scope')).toBe('openid offline_access profile');
    const exchange = server.tokenRequests().find((q) => q.grantType === 'authorization_code');
    expect(exchange?.params.code_verifier).toBeDefined();

    const token = await runCli(['token'], { env: e });
    expect(token.code).toBe(0);
    expect(token.stderr).toBe('');
    const accessToken = token.stdout.trimEnd();
    expect(token.stdout).toBe(`${accessToken}\n`);
    const untrust = await trustCaInProcess(server.ca!);
    try {
      const me = await fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { sub: string }).sub).toBe(server.user.sub);
    } finally {
      untrust();
    }

    const root = path.join(e.XDG_CONFIG_HOME!, 'loopauth');
    const profile = readFileSync(path.join(root, 'profiles', 'default.json'), 'utf8');
    expectNotIn(profile, accessToken, 'the access token (in the profile file)');
    const secretFiles = filesUnder(path.join(root, 'secrets')).map((f) => path.join(root, 'secrets', f));
    expect(secretFiles).toHaveLength(1);
    expect(statSync(secretFiles[0]!).mode & 0o777).toBe(0o600);
    const secrets = JSON.parse(readFileSync(secretFiles[0]!, 'utf8')) as { refresh_token: string; access_token: string };
    expect(secrets.access_token).toBe(accessToken);
    for (const f of filesUnder(root).map((f) => path.join(root, f)).filter((f) => f !== secretFiles[0])) expectNotIn(readFileSync(f, 'utf8'), secrets.refresh_token, `the refresh token (in ${f})`);
    for (const out of [result.stdout, result.stderr]) {
      expectNotIn(out, secrets.refresh_token, 'the refresh token (in the output)');
      expectNotIn(out, accessToken, 'the access token (in the output)');
    }

    const status = await runCli(['status', '--json'], { env: e });
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as Record<string, unknown>;
    expect(s).toMatchObject({ profile: 'default', issuer: server.issuer, client_id: 'demo-cli', subject: server.user.sub, store: 'file', state: 'active' });
    expectNotIn(status.stdout, accessToken, 'the access token (in status --json)');
  });

  it('refreshes an access token with less than --min-ttl left in one token request and saves the rotated refresh token', async () => {
    const e = await env();
    expect((await signIn(e, ['--store', 'file'])).result.code).toBe(0);
    const secretDir = path.join(e.XDG_CONFIG_HOME!, 'loopauth', 'secrets');
    const file = path.join(secretDir, filesUnder(secretDir)[0]!);
    const before = JSON.parse(readFileSync(file, 'utf8')) as { refresh_token: string; access_token: string };
    server.clearRequests();
    const r = await runCli(['token', '--min-ttl', '999999'], { env: e });
    expect(r.code).toBe(0);
    expect(server.tokenRequests().map((q) => q.grantType)).toEqual(['refresh_token']);
    const after = JSON.parse(readFileSync(file, 'utf8')) as { refresh_token: string; access_token: string };
    expect(r.stdout.trim()).toBe(after.access_token);
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.refresh_token).not.toBe(before.refresh_token);
    // The rotated one is what the next refresh spends; reusing the old one would revoke the grant.
    expect((await runCli(['token', '--min-ttl', '999999'], { env: e })).code).toBe(0);
  });

  it('logs out: revokes the refresh token at the server, deletes the secrets, and token then exits 3', async () => {
    const e = await env();
    expect((await signIn(e, ['--store', 'file'])).result.code).toBe(0);
    server.clearRequests();
    const r = await runCli(['logout'], { env: e });
    expect(r.code).toBe(0);
    expect(server.requests.some((q) => q.path.includes('revocation') && q.params.token !== undefined)).toBe(true);
    expect(filesUnder(path.join(e.XDG_CONFIG_HOME!, 'loopauth', 'secrets'))).toEqual([]);
    const t = await runCli(['token'], { env: e });
    expect(t.code).toBe(3);
    expect(lastLine(t.stderr)).toMatch(/^loopauth: login_required: /);
    expect((await runCli(['status'], { env: e })).code).toBe(3);
  });
});

describe('token output formats', () => {
  it('prints --header, --json, --id-token and --exec-credential as documented, and never the refresh token', async () => {
    const e = await env();
    expect((await signIn(e, ['--store', 'file'])).result.code).toBe(0);
    const secretDir = path.join(e.XDG_CONFIG_HOME!, 'loopauth', 'secrets');
    const secrets = JSON.parse(readFileSync(path.join(secretDir, filesUnder(secretDir)[0]!), 'utf8')) as { refresh_token: string; access_token: string };
    const header = await runCli(['token', '--header'], { env: e });
    expect(header.stdout).toBe(`Authorization: Bearer ${secrets.access_token}\n`);
    const json = JSON.parse((await runCli(['token', '--json'], { env: e })).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ access_token: secrets.access_token, token_type: 'Bearer', profile: 'default', scopes: ['openid', 'offline_access'] });
    expect(typeof json.expires_at).toBe('string');
    const idToken = (await runCli(['token', '--id-token'], { env: e })).stdout.trim();
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: server.user.sub, aud: 'demo-cli', iss: server.issuer });
    const cred = JSON.parse((await runCli(['token', '--exec-credential'], { env: e })).stdout) as { apiVersion: string; kind: string; status: { token: string; expirationTimestamp: string } };
    expect(cred).toMatchObject({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: idToken } });
    expect(cred.status.expirationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    for (const args of [['token'], ['token', '--json'], ['token', '--header'], ['status'], ['status', '--json']]) {
      const r = await runCli(args, { env: e });
      expectNotIn(r.stdout + r.stderr, secrets.refresh_token, `the refresh token (in ${args.join(' ')})`);
      expectNotIn(r.stdout + r.stderr, idToken, `the ID token (in ${args.join(' ')})`);
    }
    expect((await runCli(['token', '--json', '--header'], { env: e })).code).toBe(2);
  });
});

describe.skipIf(!keychainWorks)('signing in with the OS keychain (real gnome-keyring)', () => {
  it('keeps the secrets in the keychain only, and status says so', async () => {
    const e = await env();
    const profile = `kc-${process.pid}-${Date.now()}`;
    const { result } = await signIn(e, ['--profile', profile]);
    expect(result.code).toBe(0);
    expect(readdirSync(path.join(e.XDG_CONFIG_HOME!, 'loopauth'))).not.toContain('secrets');
    const status = await runCli(['status', '--profile', profile], { env: e });
    expect(status.stdout).toMatch(/store:\s+keychain/);
    const token = await runCli(['token', '--profile', profile], { env: e });
    expect(token.code).toBe(0);
    expect(token.stdout.trim().length).toBeGreaterThan(20);
    expect((await runCli(['logout', '--profile', profile], { env: e })).code).toBe(0);
  });
});

describe('endings', () => {
  it('ends with access_denied when the person denies, and saves nothing', async () => {
    const e = await env({}, denyServer);
    const { result } = await signIn(e, ['--store', 'file'], 'deny', denyServer);
    expect(result.code).toBe(1);
    expect(lastLine(result.stderr)).toMatch(/^loopauth: access_denied: /);
    expect((await runCli(['status'], { env: e })).code).toBe(3);
  });

  it('ends with timeout after --timeout seconds, exits within about a second, and frees the port', async () => {
    const e = await env();
    // 4 s: the URL must be out before the timeout, and discovery on a busy machine can take 2.
    const { cli, port } = await startLogin(server.issuer, ['--store', 'file', '--timeout', '4'], { env: e });
    const printed = Date.now(); // the timeout counts from the start of login, before this (and after node started)
    const r = await cli.waitForExit();
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/^loopauth: timeout: /);
    expect(r.durationMs).toBeGreaterThanOrEqual(4000);
    expect(Date.now() - printed).toBeLessThan(4000 + 1500);
    expect(await portIsFree(port)).toBe(true);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('exits %s with %i, frees the port and saves nothing', async (signal, code) => {
    const e = await env();
    const { cli, port } = await startLogin(server.issuer, ['--store', 'file'], { env: e });
    cli.kill(signal);
    const r = await cli.waitForExit();
    expect(r.code).toBe(code);
    expect(await portIsFree(port)).toBe(true);
    expect((await runCli(['status'], { env: e })).code).toBe(3);
  });

  it('answers a callback with the wrong state with 400 and completes with the real one', async () => {
    const e = await env();
    const { cli, url, redirect } = await startLogin(server.issuer, ['--store', 'file'], { env: e });
    const forged = await fetch(`${redirect.href}?code=stolen&state=wrong`);
    expect(forged.status).toBe(400);
    const page = await signInWithBrowser(browser, url);
    expect(page.status).toBe(200);
    expect((await cli.waitForExit()).code).toBe(0);
  });

  it('keeps the old session when a second login fails', async () => {
    const e = await env();
    expect((await signIn(e, ['--store', 'file'])).result.code).toBe(0);
    const r = await runCli(['login', '--no-browser', '--store', 'file', '--timeout', '1'], { env: e });
    expect(r.code).toBe(1);
    expect((await runCli(['token'], { env: e })).code).toBe(0);
  });
});

describe('client secrets', () => {
  it('sends a client secret from LOOPAUTH_CLIENT_SECRET by HTTP Basic, and PKCE all the same', async () => {
    const e = await env({ LOOPAUTH_CLIENT_SECRET: 'demo-secret-value-123' });
    server.clearRequests();
    const cli = startCli(['login', '--issuer', server.issuer, '--client-id', 'secret-cli', '--no-browser', '--store', 'file'], { env: e });
    const url = await cli.waitForAuthorizationUrl(`${server.issuer}/auth`);
    expect(new URL(url).searchParams.get('code_challenge')).toBeTruthy();
    await signInWithBrowser(browser, url);
    const r = await cli.waitForExit();
    expect(r.code).toBe(0);
    const exchange = server.tokenRequests().find((q) => q.grantType === 'authorization_code')!;
    expect(exchange.authorization).toBe('Basic');
    expect(exchange.params.client_secret).toBeUndefined();
    expect(exchange.params.code_verifier).toBeDefined();
    expect(r.stderr).not.toContain('demo-secret-value-123');
  });
});
