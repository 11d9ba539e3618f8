/**
 * The Electron demo's main process over a session's life: the user's name
 * looked up once per session and never holding a reply up, a sign-in that
 * stands when what follows it fails, and "Sign in" right after "Cancel".
 * Stand-ins for ipcMain, shell and safeStorage (test/support/electron-demo-app.ts);
 * loopauth, oidc-provider over HTTPS and headless Chromium are real.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { channels } from '../../electron-demo/src/bridge.js';
import type { UserInfo } from '../../electron-demo/src/bridge.js';
import { signInWithBrowser } from '../helpers/browser.mjs';
import { browserSignInsSettled, demoAppStarter } from '../support/electron-demo-app.js';
import { useServerAndBrowser } from '../support/real-parts.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'loopauth-electron-session-'));
// Registered first, so that it runs after the server and browser are closed.
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const real = useServerAndBrowser({ server: { https: true }, trustCa: true, beforeClose: browserSignInsSettled });

const startApp = demoAppStarter(real, tmp);

/** Requests to oidc-provider's userinfo endpoint since the log was cleared. */
const userInfoRequests = (): number => real.server.requests.filter((r) => r.path === '/me').length;

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work;
  return { value, ms: performance.now() - start };
}

describe('Electron demo: the user\'s name (stand-ins for ipcMain, shell and safeStorage)', () => {
  it('asks userinfo for the name once per session, not for every reply, even when the server has no name for the person', async () => {
    // Without the profile scope userinfo has no name: the subject is shown, and not asked for again.
    const app = startApp({ scopes: 'openid offline_access' });
    real.server.clearRequests();
    const signedIn = await app.invoke(channels.login);
    expect(signedIn).toMatchObject({ ok: true, state: { signedIn: true, user: real.server.user.sub } });
    for (let i = 0; i < 3; i++) expect(await app.invoke(channels.status)).toMatchObject({ ok: true, state: { user: real.server.user.sub } });
    expect(userInfoRequests()).toBe(1);
    // Signing out forgets it; the next session asks again, once.
    await app.invoke(channels.logout);
    await app.invoke(channels.login);
    await app.invoke(channels.status);
    expect(userInfoRequests()).toBe(2);
    await app.controller.dispose();
  });

  it('a failing userinfo (403: no openid scope) leaves the sign-in a success and is not asked again within the session', async () => {
    const app = startApp({ scopes: 'offline_access profile' });
    real.server.clearRequests();
    const reply = await app.invoke(channels.login);
    expect(reply).toMatchObject({ ok: true, state: { signedIn: true, pending: false } });
    expect(reply).not.toHaveProperty('warning');
    for (let i = 0; i < 3; i++) expect(await app.invoke(channels.status)).toMatchObject({ ok: true, state: { signedIn: true } });
    expect(real.server.requests.filter((r) => r.path === '/me').map((r) => r.status)).toEqual([403]);
    await app.controller.dispose();
  });

  it('a restarted app asks for the name on its first status of the saved session, and "Call the API" is its own request', async () => {
    const first = startApp();
    await first.invoke(channels.login);
    await first.controller.dispose();
    real.server.clearRequests();
    const app = startApp({ dir: first.dir });
    expect(await app.invoke(channels.status)).toMatchObject({ ok: true, state: { signedIn: true, user: real.server.user.name } });
    await app.invoke(channels.status);
    expect(userInfoRequests()).toBe(1);
    expect(await app.invoke<UserInfo>(channels.callApi)).toMatchObject({ ok: true, value: { sub: real.server.user.sub, name: real.server.user.name } });
    expect(userInfoRequests()).toBe(2);
    await app.controller.dispose();
  });

  it('a restarted app whose access token ran out shows the renewed expiry, not the spent one', async () => {
    const first = startApp();
    await first.invoke(channels.login);
    await first.controller.dispose();
    // An hour later: the saved access token has expired (the refresh token has not).
    const saved = JSON.parse((await first.controller.store.get('default'))!) as Record<string, unknown>;
    await first.controller.store.set('default', JSON.stringify({ ...saved, expires_at: Math.floor(Date.now() / 1000) - 60 }));
    const app = startApp({ dir: first.dir });
    const status = await app.invoke(channels.status);
    expect(status).toMatchObject({ ok: true, state: { signedIn: true, user: real.server.user.name } });
    expect(Date.parse(status.state.expiresAt!)).toBeGreaterThan(Date.now());
    await app.controller.dispose();
  });

  it('a slow userinfo does not hold the reply: the subject is shown at once and the name follows as an update', async () => {
    const first = startApp();
    await first.invoke(channels.login);
    await first.controller.dispose();
    real.server.setDelay(4000, { path: '/me' });
    try {
      const app = startApp({ dir: first.dir });
      const { value: status, ms } = await timed(app.invoke(channels.status));
      expect(ms).toBeLessThan(3000); // the grace is 1 s; the server takes 4
      expect(status).toMatchObject({ ok: true, state: { signedIn: true, user: real.server.user.sub } });
      await expect.poll(() => app.progress.at(-1), { timeout: 10_000 }).toMatchObject({ step: 'updated', state: { signedIn: true, user: real.server.user.name } });
      expect(await app.invoke(channels.status)).toMatchObject({ state: { user: real.server.user.name } });
      await app.controller.dispose();
    } finally {
      real.server.setDelay(0);
    }
  });
});

describe('Electron demo: a sign-in that succeeded stands (stand-ins for ipcMain, shell and safeStorage)', () => {
  it('says signed in, with the problem as a warning, when the session cannot be read back (stand-in for a safeStorage that cannot decrypt)', async () => {
    const app = startApp({ undecryptable: true });
    const reply = await app.invoke(channels.login);
    expect(reply).toMatchObject({ ok: true, state: { signedIn: true, user: real.server.user.sub, pending: false }, warning: { code: 'store_failed' } });
    expect(Date.parse(reply.state.expiresAt!)).toBeGreaterThan(Date.now());
    expect(app.progress.map((p) => p.step)).toEqual(['starting', 'browser-opened', 'signed-in', 'warning']);
    expect(app.progress).not.toContainEqual(expect.objectContaining({ step: 'failed' }));
    await app.controller.dispose();
  });

  it('says again that the browser cannot be opened when "Open the browser again" fails too', async () => {
    const app = startApp({ browser: 'unavailable' });
    const { reply: pending, url } = await app.beginLogin();
    const warnings = () => app.progress.filter((p) => p.step === 'warning').length;
    await expect.poll(warnings).toBe(1);
    const reopened = app.nextOpen();
    const joined = app.invoke(channels.login);
    expect(await reopened).toBe(url);
    await expect.poll(warnings).toBe(2);
    await app.controller.dispose();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(await joined).toEqual(await pending);
  });

  it('"Sign in" right after "Cancel sign-in" starts a new sign-in, not the cancelled one', async () => {
    const app = startApp({ browser: 'ignore' });
    const { reply: cancelled, url } = await app.beginLogin();
    const cancel = app.invoke(channels.logout);
    const reopened = app.nextOpen();
    const again = app.invoke(channels.login);
    expect(await cancelled).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    const next = await reopened;
    expect(next).not.toBe(url); // a new request (new state, new listener), not the old URL
    expect(await cancel).toMatchObject({ ok: true });
    await signInWithBrowser(real.browser, next);
    expect(await again).toMatchObject({ ok: true, state: { signedIn: true, user: real.server.user.name, pending: false } });
    expect(app.opened).toEqual([url, next]);
    await app.controller.dispose();
  });
});
