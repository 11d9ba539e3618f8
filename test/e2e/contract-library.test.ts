/**
 * The library as an app uses it, promise by promise from the contract's
 * "Library" section: a real oidc-provider on loopback, real headless Chromium
 * playing the person, and the app's own `openBrowser` function.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, MemoryStore } from '../../src/index.js';
import { startAuthServer } from '../helpers/auth-server.mjs';
import type { AuthServer } from '../helpers/auth-server.mjs';
import { launchChromium, signInWithBrowser } from '../helpers/browser.mjs';

let server: AuthServer;
let browser: Browser;
let config: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([startAuthServer(), launchChromium()]);
  config = await mkdtemp(path.join(tmpdir(), 'loopauth-contract-lib-'));
});
afterAll(async () => {
  await Promise.all([server?.close(), browser?.close()]);
  if (config) await rm(config, { recursive: true, force: true });
});

const env = (): NodeJS.ProcessEnv => ({ XDG_CONFIG_HOME: config });

describe('openBrowser', () => {
  it('does not hold up the sign-in until the opener’s promise settles: an opener that signs in and resolves afterwards works', async () => {
    const started = Date.now();
    const session = await login({
      issuer: server.issuer,
      clientId: 'demo-cli',
      store: new MemoryStore(),
      env: env(),
      openBrowser: async (url) => {
        await signInWithBrowser(browser, url, { timeoutMs: 20_000 });
      },
    });
    expect(session.subject).toBe(server.user.sub);
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
    const before = server.requests.length;
    const started = Date.now();
    const options = { issuer: server.issuer, clientId: 'demo-cli', store: new MemoryStore(), env: env(), openBrowser: false, timeout: 5, ...bad };
    await expect(login(options as Parameters<typeof login>[0])).rejects.toThrow(TypeError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests.length).toBe(before);
  });
});
