/**
 * The Electron demo's main process (electron-demo/src/auth-controller.ts)
 * with stand-ins for ipcMain, shell and safeStorage (test/support/electron-demo-app.ts).
 * Everything else is real: loopauth, oidc-provider over HTTPS, headless
 * Chromium as the system browser, the loopback listener, the encrypted files
 * under userData. The server shows its consent page (autoConsent off), so
 * the browser can also refuse.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { channels } from '../../electron-demo/src/bridge.js';
import type { UserInfo } from '../../electron-demo/src/bridge.js';
import type { InvokeEventLike } from '../../electron-demo/src/frame-guard.js';
import { listProfiles } from '../../src/index.js';
import { signInWithBrowser } from '../helpers/browser.mjs';
import { browserSignInsSettled, demoAppStarter, demoPageUrl as pageUrl } from '../support/electron-demo-app.js';
import { useServerAndBrowser } from '../support/real-parts.js';
import { expectNotIn } from '../hostile/support/secrets.js';
import { portIsFree } from '../support/system.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'loopauth-electron-demo-'));
// Registered first, so it runs last (vitest runs after-hooks in reverse): the apps' folders go once the sign-ins are over.
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
// browserSignInsSettled before the browser goes: a tab still being answered would fail with it.
const real = useServerAndBrowser({ server: { https: true, autoConsent: false }, trustCa: true, beforeClose: browserSignInsSettled });

const startApp = demoAppStarter(real, tmp);

/** Fails if any token appears anywhere in what crossed to the renderer. */
function expectNoToken(crossed: unknown[], tokens: string[]) {
  expect(tokens.length).toBeGreaterThanOrEqual(3);
  const text = JSON.stringify(crossed);
  for (const token of tokens) {
    expect(token.length).toBeGreaterThan(20);
    expectNotIn(text, token, 'a token (in what crossed to the renderer)');
    // The JWT's signature alone would still be the token's secret part.
    expectNotIn(text, token.split('.').at(-1)!, 'a token\'s last part (in what crossed to the renderer)');
  }
}

describe('Electron demo main process (stand-ins for ipcMain, shell and safeStorage)', () => {
  it('refuses IPC from another frame, another window, or the window showing another page', async () => {
    const app = startApp();
    const foreign: InvokeEventLike[] = [
      { sender: app.webContents, senderFrame: { url: pageUrl, parent: { url: pageUrl } } },
      { sender: { other: 'window' }, senderFrame: { url: pageUrl, parent: null } },
      { sender: app.webContents, senderFrame: { url: 'https://evil.example/index.html', parent: null } },
      { sender: app.webContents, senderFrame: null },
    ];
    for (const event of foreign) {
      for (const channel of [channels.login, channels.logout, channels.status, channels.callApi]) {
        await expect(app.invoke(channel, event)).rejects.toMatchObject({ code: 'foreign_sender' });
      }
    }
    expect(app.opened).toEqual([]);
    await app.controller.dispose();
  });

  it('signs in through the system browser and shows the user and the token expiry; the session is encrypted under userData', async () => {
    const { server } = real;
    const app = startApp();
    const before = await app.invoke(channels.status);
    expect(before).toMatchObject({ ok: true, state: { signedIn: false, pending: false, persistent: true } });
    expect(before.state.warning).toBeUndefined();

    const reply = await app.invoke(channels.login);
    expect(reply).toMatchObject({ ok: true, state: { signedIn: true, user: server.user.name, pending: false } });
    expect(Date.parse(reply.state.expiresAt!)).toBeGreaterThan(Date.now());
    expect(app.opened).toHaveLength(1);
    expect(app.opened[0]!.startsWith(`${server.issuer}/auth?`)).toBe(true);
    expect((await Promise.all(app.signIns))[0]!.status).toBe(200);
    expect(app.progress.map((p) => p.step)).toEqual(['starting', 'browser-opened', 'signed-in']);
    expect(app.secretFiles()).toEqual(['default.enc']);
    // Its profiles live under the app's own name, apart from the CLI's.
    expect(existsSync(path.join(app.dir, 'config', 'loopauth-electron-demo'))).toBe(true);
    expect(existsSync(path.join(app.dir, 'config', 'loopauth'))).toBe(false);
    expect(await app.invoke(channels.status)).toMatchObject({ ok: true, state: { signedIn: true, user: server.user.name } });
    await app.controller.dispose();
  });

  it('calls the API (userinfo) in the main process, and no token ever crosses the bridge', async () => {
    const { server } = real;
    const app = startApp();
    await app.invoke(channels.login);
    const api = await app.invoke<UserInfo>(channels.callApi);
    expect(api).toMatchObject({ ok: true, value: { sub: server.user.sub, name: server.user.name, email: server.user.email } });
    const tokens = await app.storedTokens();
    await app.invoke(channels.status);
    const out = await app.invoke(channels.logout);
    expect(out).toMatchObject({ ok: true, state: { signedIn: false } });
    expect(app.secretFiles()).toEqual([]);
    expect(await app.invoke(channels.callApi)).toMatchObject({ ok: false, error: { code: 'login_required' } });
    expectNoToken(app.crossed, tokens);
    await app.controller.dispose();
  });

  it('joins a second click during a pending sign-in: the same request is re-opened, no second listener', async () => {
    const { server, browser } = real;
    const app = startApp({ browser: 'ignore' });
    const { reply: first, url, port } = await app.beginLogin();
    const reopened = app.nextOpen();
    const second = app.invoke(channels.login);
    expect(await reopened).toBe(url); // same state, same loopback port: one listener
    expect((await app.invoke(channels.status)).state.pending).toBe(true);
    await signInWithBrowser(browser, url);
    const [a, b] = await Promise.all([first, second]);
    expect(a).toMatchObject({ ok: true, state: { signedIn: true, user: server.user.name } });
    expect(b).toEqual(a);
    expect(app.opened).toEqual([url, url]);
    expect(app.progress.map((p) => p.step).sort()).toEqual(['already-pending', 'browser-opened', 'signed-in', 'starting']);
    expect(await portIsFree(port)).toBe(true);
    await app.controller.dispose();
  });

  it('quitting during a sign-in aborts it, frees the port and saves nothing', async () => {
    const app = startApp({ browser: 'ignore' });
    const { reply: pending, port } = await app.beginLogin();
    expect(await portIsFree(port)).toBe(false);
    await app.controller.dispose();
    expect(await portIsFree(port)).toBe(true);
    expect(await pending).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(app.handlers.size).toBe(0);
    expect(app.secretFiles()).toEqual([]);
    expect(await app.controller.store.get('default')).toBeUndefined();
    expect(await listProfiles({ appName: 'loopauth-electron-demo', env: { XDG_CONFIG_HOME: path.join(app.dir, 'config') } })).toEqual([]);
  });

  it('shows a sign-in refused in the browser as access_denied', async () => {
    const app = startApp({ browser: 'deny' });
    const reply = await app.invoke(channels.login);
    expect(reply).toMatchObject({ ok: false, state: { signedIn: false, pending: false }, error: { code: 'access_denied' } });
    expect(app.progress.at(-1)).toMatchObject({ step: 'failed', error: { code: 'access_denied' } });
    expect(app.secretFiles()).toEqual([]);
    await app.controller.dispose();
  });

  it('shows a sign-in nobody finishes as timeout, with the port free again', async () => {
    const app = startApp({ browser: 'ignore', timeout: 2 });
    const { reply: reply, port } = await app.beginLogin();
    expect(await reply).toMatchObject({ ok: false, error: { code: 'timeout' } });
    expect(app.progress.at(-1)).toMatchObject({ step: 'failed', error: { code: 'timeout' } });
    expect(await portIsFree(port)).toBe(true);
    await app.controller.dispose();
  });

  it('shows "Cancel sign-in" (logout while pending) as cancelled and keeps the earlier session', async () => {
    const { server } = real;
    const app = startApp();
    await app.invoke(channels.login);
    const tokens = await app.storedTokens();
    app.setBrowserPart('ignore'); // this time the person does not finish in the browser
    const { reply: again, port } = await app.beginLogin();
    const cancel = await app.invoke(channels.logout);
    expect(await again).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(app.progress.at(-1)).toMatchObject({ step: 'failed', error: { code: 'cancelled' } });
    expect(cancel).toMatchObject({ ok: true, state: { signedIn: true, user: server.user.name, pending: false } });
    expect(await portIsFree(port)).toBe(true);
    expect(await app.storedTokens()).toEqual(tokens);
    expectNoToken(app.crossed, tokens);
    await app.controller.dispose();
  });

  it('says so in the window when the browser cannot be opened, and keeps waiting for the sign-in', async () => {
    const app = startApp({ browser: 'unavailable' });
    const { reply: pending, url } = await app.beginLogin();
    await expect.poll(() => app.progress.map((p) => p.step)).toContain('warning');
    expect((await app.invoke(channels.status)).state.pending).toBe(true);
    app.setBrowserPart('allow');
    await app.invoke(channels.login); // "Open the browser again" joins, and this time it opens
    expect(await pending).toMatchObject({ ok: true, state: { signedIn: true } });
    expect(app.opened).toEqual([url, url]);
    await app.controller.dispose();
  });

  it.each([
    ['the basic_text backend (a hard-coded key)', { backend: 'basic_text' }],
    ['no encryption available', { encryption: false }],
  ])('with %s keeps the session in memory only and says so in the window', async (_why, safe) => {
    const app = startApp(safe);
    expect(app.controller.persistent).toBe(false);
    const status = await app.invoke(channels.status);
    expect(status.state).toMatchObject({ persistent: false, warning: expect.stringMatching(/memory|sign in again/) as unknown });
    const reply = await app.invoke(channels.login);
    expect(reply).toMatchObject({ ok: true, state: { signedIn: true, persistent: false, warning: status.state.warning } });
    expect(existsSync(path.join(app.dir, 'userData'))).toBe(false);
    expectNoToken(app.crossed, await app.storedTokens());
    await app.controller.dispose();
  });
});
