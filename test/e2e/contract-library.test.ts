/**
 * The library as an app uses it, promise by promise from the contract's
 * "Library" section: a real oidc-provider on loopback, real headless Chromium
 * playing the person, and the app's own `openBrowser` function.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAccessToken, getStatus, listProfiles, login, LoopauthError, logout, MemoryStore } from '../../src/index.js';
import type { SecretStore } from '../../src/index.js';
import { signInWithBrowser } from '../helpers/browser.mjs';
import { removeTempConfigDirs, tempConfigDir } from '../helpers/cli.mjs';
import { useServerAndBrowser } from '../support/real-parts.js';

/**
 * Every browser sign-in started here. login() resolves once its listener has
 * answered the callback, while the tab may still be loading that answer and
 * closing: the browser is closed only after all of them have ended.
 */
const tabs: Promise<unknown>[] = [];
const real = useServerAndBrowser({ beforeClose: () => Promise.all(tabs.splice(0)) });
const signInTab = (url: string, options?: Parameters<typeof signInWithBrowser>[2]): ReturnType<typeof signInWithBrowser> => {
  const tab = signInWithBrowser(real.browser, url, options);
  tabs.push(tab.catch(() => undefined)); // its failure is the opener's (login() warns), or the test's that awaits it
  return tab;
};

let config: string;
beforeAll(async () => {
  config = await tempConfigDir();
});
afterAll(removeTempConfigDirs);

const env = (): NodeJS.ProcessEnv => ({ XDG_CONFIG_HOME: config });

describe('openBrowser', () => {
  it('does not hold up the sign-in until the opener’s promise settles: an opener that signs in and resolves afterwards works', async () => {
    const started = Date.now();
    const session = await login({
      issuer: real.server.issuer,
      clientId: 'demo-cli',
      store: new MemoryStore(),
      env: env(),
      openBrowser: async (url) => {
        await signInTab(url, { timeoutMs: 20_000 });
      },
    });
    expect(session.subject).toBe(real.server.user.sub);
    // The helper gives up after 20 s when the callback page never arrives.
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('misuse of the API', () => {
  it.each([
    ['a port that is not a number', { port: 'abc' }],
    ['a port out of range', { port: 70000 }],
    ['an empty port list', { port: [] }],
    ['a redirect host that is not loopback', { redirectHost: '0.0.0.0' }],
    ['an openBrowser that is not a function', { openBrowser: 'yes' }],
    ['an onAuthorizationUrl that is not a function', { onAuthorizationUrl: 'print' }],
    ['a flow that does not exist', { flow: 'sideways' }],
    ['extraParams given as a string', { extraParams: 'prompt=consent' }],
  ])('rejects %s with a TypeError before anything starts', async (_, bad) => {
    const before = real.server.requests.length;
    const started = Date.now();
    const options = { issuer: real.server.issuer, clientId: 'demo-cli', store: new MemoryStore(), env: env(), openBrowser: false, timeout: 5, ...bad };
    await expect(login(options as Parameters<typeof login>[0])).rejects.toThrow(TypeError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(real.server.requests.length).toBe(before);
  });
});

describe('login options', () => {
  const signIn = async (url: string): Promise<void> => {
    await signInTab(url, { timeoutMs: 20_000 });
  };

  it('asks for openid offline_access by default, and sends resource and extraParams where they belong (port given as a list)', async () => {
    real.server.clearRequests();
    const seen: string[] = [];
    const session = await login({
      issuer: real.server.issuer, clientId: 'demo-cli', store: new MemoryStore(), env: env(), openBrowser: signIn,
      resource: 'https://api.example.com/', extraParams: { audience: 'api' }, port: [0], onAuthorizationUrl: (u) => seen.push(u),
    });
    expect(seen).toHaveLength(1);
    const auth = new URL(seen[0]!).searchParams;
    expect(auth.get('scope')).toBe('openid offline_access');
    expect(auth.getAll('resource')).toEqual(['https://api.example.com/']);
    expect(auth.get('audience')).toBe('api');
    expect(seen[0]!.startsWith(`${real.server.issuer}/auth?`)).toBe(true);
    expect(real.server.tokenRequests()[0]?.params.resource).toBe('https://api.example.com/');
    expect(session.resource).toEqual(['https://api.example.com/']);
  });

  it('keeps an app’s profiles apart under its appName, and lists and reports them', async () => {
    const store = new MemoryStore();
    await login({ issuer: real.server.issuer, clientId: 'demo-cli', store, env: env(), openBrowser: signIn, appName: 'contract-app', profile: 'work' });
    expect(existsSync(path.join(config, 'contract-app', 'profiles', 'work.json'))).toBe(true);
    expect(await listProfiles({ appName: 'contract-app', env: env() })).toEqual(['work']);
    expect(await getStatus({ appName: 'contract-app', profile: 'work', store, env: env() })).toMatchObject({ state: 'active', subject: real.server.user.sub });
    expect((await getAccessToken({ appName: 'contract-app', profile: 'work', store, env: env() })).accessToken).toEqual(expect.any(String));
    await expect(getStatus({ profile: 'work', env: env() })).rejects.toMatchObject({ code: 'login_required' });
  });

  it('ends with cancelled on abort and with timeout after timeout seconds, as LoopauthErrors', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const base = { issuer: real.server.issuer, clientId: 'demo-cli', store: new MemoryStore(), env: env(), openBrowser: false } as const;
    await expect(login({ ...base, signal: ac.signal })).rejects.toMatchObject({ code: 'cancelled' });
    const started = Date.now();
    const e: unknown = await login({ ...base, timeout: 1 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LoopauthError);
    expect(e).toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2500);
  });
});

describe('an app’s own SecretStore', () => {
  it('works as a bare { get, set, delete } object (no kind, get answering null): login, token, status and logout', async () => {
    const entries = new Map<string, string>();
    const store = {
      get: (key: string) => Promise.resolve(entries.get(key) ?? null),
      set: (key: string, value: string) => Promise.resolve(void entries.set(key, value)),
      delete: (key: string) => Promise.resolve(entries.delete(key)),
    } as unknown as SecretStore;
    const profile = 'own-store';
    await login({ issuer: real.server.issuer, clientId: 'demo-cli', store, env: env(), profile, openBrowser: (url) => signInTab(url) });
    expect(entries.size).toBe(1);
    expect((await getAccessToken({ store, env: env(), profile })).accessToken).toEqual(expect.any(String));
    expect(await getStatus({ store, env: env(), profile })).toMatchObject({ state: 'active', store: 'custom' });
    expect(await logout({ store, env: env(), profile })).toMatchObject({ deleted: true });
    expect(entries.size).toBe(0);
  });
});

describe('an app’s callbacks', () => {
  it('an async onAuthorizationUrl that rejects is reported as a warning, not a crash, and the sign-in goes on', async () => {
    const warnings: string[] = [];
    let tab: Promise<{ status: number }> | undefined;
    const session = await login({
      issuer: real.server.issuer, clientId: 'demo-cli', store: new MemoryStore(), env: env(), openBrowser: false, profile: 'callbacks',
      onWarning: (w) => warnings.push(w),
      onAuthorizationUrl: (url) => {
        tab = signInTab(url);
        return Promise.reject(new Error('the app failed to show the URL'));
      },
    });
    expect(session.subject).toBe(real.server.user.sub);
    expect(warnings.join('\n')).toMatch(/onAuthorizationUrl/);
    expect((await tab)?.status).toBe(200);
  });
});

describe('logout()', () => {
  it('says which token it revoked: the refresh token, or the access token of a session that has none', async () => {
    const store = new MemoryStore();
    const signIn = (profile: string, scopes: string) =>
      login({ issuer: real.server.issuer, clientId: 'demo-cli', scopes, store, env: env(), profile, openBrowser: (url) => signInTab(url) });
    await signIn('with-refresh', 'openid offline_access');
    await signIn('access-only', 'openid');
    expect(await logout({ store, env: env(), profile: 'with-refresh' })).toMatchObject({ revocation: 'revoked', revokedToken: 'refresh_token' });
    expect(await logout({ store, env: env(), profile: 'access-only' })).toMatchObject({ revocation: 'revoked', revokedToken: 'access_token' });
  });
});
