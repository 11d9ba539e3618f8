/**
 * The Electron demo's window: its real page (page/index.html with its CSP,
 * page/renderer.ts compiled) and its real preload in headless Chromium,
 * talking to the real main-process module. Stand-ins: contextBridge and
 * ipcRenderer in the page (invoke is a Playwright binding that passes the
 * calling frame on, as Electron's senderFrame would), and ipcMain, shell
 * and safeStorage of electron-demo-app.ts.
 * This is what a person sees: the user, the expiry, errors as codes, warnings.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../electron-demo/src/bridge.js';
import { browserSignInsSettled, startDemoApp } from '../support/electron-demo-app.js';
import { preloadPageScript } from '../support/electron-preload.js';
import type { DemoAppOptions } from '../support/electron-demo-app.js';
import { expectNotIn } from '../hostile/support/secrets.js';
import { useServerAndBrowser } from '../support/real-parts.js';

const demo = path.resolve(import.meta.dirname, '../../electron-demo');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'loopauth-electron-window-'));
let pageUrl: string;

/** The page as `npm run build` in electron-demo/ lays it out: page/ next to dist/page/renderer.js. */
function buildPage(): string {
  mkdirSync(path.join(tmp, 'page'));
  mkdirSync(path.join(tmp, 'dist', 'page'), { recursive: true });
  for (const file of ['index.html', 'style.css']) copyFileSync(path.join(demo, 'page', file), path.join(tmp, 'page', file));
  const source = readFileSync(path.join(demo, 'page', 'renderer.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, moduleDetection: ts.ModuleDetectionKind.Legacy } });
  writeFileSync(path.join(tmp, 'dist', 'page', 'renderer.js'), outputText);
  return pathToFileURL(path.join(tmp, 'page', 'index.html')).href;
}

// Registered first, so it runs last (vitest runs after-hooks in reverse): the apps' folders go once the sign-ins are over.
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
// browserSignInsSettled before the browser goes: a tab still being answered would fail with it.
const real = useServerAndBrowser({ server: { https: true, autoConsent: false }, trustCa: true, beforeClose: browserSignInsSettled });
beforeAll(() => {
  pageUrl = buildPage();
});

/** What the functions evaluated in the page use of it (the root tsconfig has no DOM types). */
interface PageGlobals {
  document: { createElement(tag: string): { textContent: string }; body: { append(node: unknown): void; dataset: Record<string, string | undefined> } };
  __loopauthIpc(channel: string): Promise<unknown>;
  __loopauthProgress(progress: unknown): void;
}

/**
 * Stand-ins for contextBridge and ipcRenderer, in the page, for the real
 * preload to use: invoke goes to the binding (the main process side), and
 * progress arrives through `__loopauthProgress` with an event object that
 * the preload must not pass on.
 */
function installElectronStandIn() {
  const w = globalThis as unknown as PageGlobals & Record<string, unknown>;
  const listeners = new Map<string, Set<(event: unknown, ...args: unknown[]) => void>>();
  w.__loopauthProgress = (p: unknown) => listeners.get('loopauth:progress')?.forEach((l) => l({ sender: 'the webContents' }, p));
  w.__electronStandIn = {
    contextBridge: { exposeInMainWorld: (key: string, api: object) => Object.defineProperty(globalThis, key, { value: Object.freeze(api) }) },
    ipcRenderer: {
      invoke: (channel: string, ...args: unknown[]) => (args.length ? Promise.reject(new Error('arguments from the page')) : w.__loopauthIpc(channel)),
      on: (channel: string, l: (event: unknown, ...args: unknown[]) => void) => {
        if (!listeners.has(channel)) listeners.set(channel, new Set());
        listeners.get(channel)!.add(l);
      },
      removeListener: (channel: string, l: (event: unknown, ...args: unknown[]) => void) => listeners.get(channel)?.delete(l),
    },
  };
}

/** Opens the demo window on a fresh app; `consoleLines` catches CSP reports. */
async function openWindow(options: Partial<DemoAppOptions> = {}) {
  const { server, browser } = real;
  const context = await browser.newContext();
  const page: Page = await context.newPage();
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  let shown = Promise.resolve();
  const app = startDemoApp({
    server,
    browser,
    parentDir: tmp,
    pageUrl,
    ...options,
    onProgress: (p: Progress) => {
      shown = shown.then(() => page.evaluate((q) => (globalThis as unknown as PageGlobals).__loopauthProgress(q), p)).catch(() => {});
    },
  });
  await page.exposeBinding('__loopauthIpc', (source, channel: string) =>
    app.invoke(channel, { sender: app.webContents, senderFrame: { url: source.frame.url(), parent: source.frame.parentFrame() } }));
  await page.addInitScript(installElectronStandIn);
  await page.addInitScript({ content: preloadPageScript('__electronStandIn') });
  await page.goto(pageUrl);
  await page.locator('#login').waitFor();
  const close = async () => {
    await app.controller.dispose();
    await context.close();
  };
  return { app, page, consoleLines, close };
}

describe('Electron demo window (stand-ins for contextBridge, ipcRenderer, ipcMain, shell and safeStorage)', () => {
  it('refuses inline script: the page\'s Content-Security-Policy is in force', async () => {
    const { page, consoleLines, close } = await openWindow();
    const ran = await page.evaluate(() => {
      const { document } = globalThis as unknown as PageGlobals;
      const s = document.createElement('script');
      s.textContent = 'document.body.dataset.injected = "yes"';
      document.body.append(s);
      return document.body.dataset.injected ?? 'no';
    });
    expect(ran).toBe('no');
    expect(consoleLines.join('\n')).toMatch(/Content Security Policy/);
    await close();
  });

  it('shows the user and the expiry after signing in, the userinfo after "Call the API" (no token in the page), and the sign-in button after signing out', async () => {
    const { server } = real;
    const { app, page, close } = await openWindow();
    // The static page already shows #signed-out: wait until the renderer has shown status()'s answer.
    await page.locator('#expires', { hasText: 'unknown' }).waitFor({ state: 'attached' });
    await expect(page.locator('#signed-out').isVisible()).resolves.toBe(true);
    await page.click('#login');
    await page.locator('#user', { hasText: server.user.name }).waitFor();
    expect(await page.locator('#expires').textContent()).not.toBe('unknown');
    expect(await page.locator('#signed-out').isVisible()).toBe(false);
    await page.click('#call-api');
    await page.locator('#api-result', { hasText: server.user.sub }).waitFor();
    expect(JSON.parse((await page.locator('#api-result').textContent())!)).toMatchObject({ sub: server.user.sub, email: server.user.email });
    const tokens = await app.storedTokens();
    expect(tokens).toHaveLength(3);
    const html = await page.content();
    for (const token of tokens) expectNotIn(html, token, 'a token (in the page)');
    await page.click('#logout');
    await page.locator('#signed-out').waitFor({ state: 'visible' });
    expect(await page.locator('#signed-in').isVisible()).toBe(false);
    // The progress event and logout()'s reply reach the page separately, in either order.
    await page.locator('#progress', { hasText: 'Signed out.' }).waitFor();
    await close();
  });

  it.each([
    ['a sign-in refused in the browser', { part: 'deny' as const }, 'access_denied'],
    ['a sign-in nobody finishes', { part: 'ignore' as const, timeout: 2 }, 'timeout'],
  ])('shows %s as its code', async (_what, options, code) => {
    const { page, close } = await openWindow(options);
    await page.click('#login');
    await page.locator('#error-code', { hasText: code }).waitFor();
    expect(await page.locator('#error-message').textContent()).not.toBe('');
    // The 'failed' progress event shows the error; login()'s reply, which may come after it, the signed-out view.
    await page.locator('#signed-out').waitFor({ state: 'visible' });
    await close();
  });

  it('re-opens the pending sign-in on a second click, and shows a cancelled one as cancelled', async () => {
    const { app, page, close } = await openWindow({ part: 'ignore' });
    const opened = app.nextOpen();
    await page.click('#login');
    await opened;
    const reopened = app.nextOpen();
    await page.click('#reopen'); // joins: the same URL again, no second listener
    expect(await reopened).toBe(app.opened[0]); // the click is in; its IPC call comes after
    expect(app.opened).toHaveLength(2);
    await page.click('#cancel');
    await page.locator('#error-code', { hasText: 'cancelled' }).waitFor();
    await page.locator('#signed-out').waitFor({ state: 'visible' }); // with logout()'s reply, after the 'failed' event
    await close();
  });

  it('shows the subject at once when the server is slow with the name, then the name, and still says "Signed in."', async () => {
    const { server } = real;
    const { page, close } = await openWindow();
    server.setDelay(4000, { path: '/me' });
    try {
      await page.click('#login');
      // Shown from a second after the callback (the grace) until the name comes, 4 s after it.
      await page.locator('#user', { hasText: server.user.sub }).waitFor({ timeout: 15_000 });
      expect(await page.locator('#signed-in').isVisible()).toBe(true);
      await page.locator('#user', { hasText: server.user.name }).waitFor({ timeout: 10_000 });
      expect(await page.locator('#progress').textContent()).toBe('Signed in.');
    } finally {
      server.setDelay(0);
    }
    await close();
  });

  it('says signed in, with a notice and no error, when the session cannot be read back (stand-in for a safeStorage that cannot decrypt)', async () => {
    const { server } = real;
    const { page, close } = await openWindow({ undecryptable: true });
    await page.click('#login');
    await page.locator('#notice-code', { hasText: 'store_failed' }).waitFor();
    expect(await page.locator('#signed-in').isVisible()).toBe(true);
    expect(await page.locator('#user').textContent()).toBe(server.user.sub);
    expect(await page.locator('#error').isVisible()).toBe(false);
    await close();
  });

  it('says when the session stays in memory only (the basic_text backend)', async () => {
    const { page, close } = await openWindow({ backend: 'basic_text' });
    await page.locator('#warning', { hasText: 'memory' }).waitFor();
    expect(await page.locator('#warning').textContent()).toMatch(/kept in memory only/);
    await close();
  });
});
