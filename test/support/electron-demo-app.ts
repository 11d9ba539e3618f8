/**
 * The Electron demo's main process (electron-demo/src/auth-controller.ts)
 * with stand-ins for what only the Electron binary has: `ipcMain` (a handler
 * table the test invokes as the preload would), `shell` (its openExternal
 * hands the URL to headless Chromium, playing the system browser),
 * `safeStorage`, and the window's webContents (which records what it is sent).
 * Everything behind them is real.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { createAuthController } from '../../electron-demo/src/auth-controller.js';
import type { AuthControllerOptions } from '../../electron-demo/src/auth-controller.js';
import { channels } from '../../electron-demo/src/bridge.js';
import type { Progress, Reply, ViewState } from '../../electron-demo/src/bridge.js';
import type { InvokeEventLike } from '../../electron-demo/src/frame-guard.js';
import type { AuthServer } from '../helpers/auth-server.mjs';
import { signInWithBrowser } from '../helpers/browser.mjs';
import type { SignInResult } from '../helpers/browser.mjs';
import type { SafeStorageLike } from '../../src/electron.js';
import type { ServerAndBrowser } from './real-parts.js';
import { standInSafeStorage } from './safe-storage.js';

/** The demo's own page, as main.ts loads it. */
export const demoPageUrl = pathToFileURL(path.resolve(import.meta.dirname, '../../electron-demo/page/index.html')).href;

/** What the "system browser" does with the URL it is opened on. */
export type BrowserPart = 'allow' | 'deny' | 'ignore' | 'unavailable';

export interface DemoAppOptions {
  readonly server: AuthServer;
  readonly browser: Browser;
  /** A folder of its own for this app's userData and config. */
  readonly parentDir: string;
  /** Another app's folder (its `dir`): this app is that one restarted, with its saved session. */
  readonly dir?: string;
  readonly part?: BrowserPart;
  /** safeStorage's backend (`basic_text`: a hard-coded key). */
  readonly backend?: string;
  /** What `isEncryptionAvailable()` answers. @default true */
  readonly encryption?: boolean;
  /** safeStorage cannot decrypt what it encrypted (the keyring's key changed, say). */
  readonly undecryptable?: boolean;
  readonly timeout?: number;
  /** The scopes the app asks for. @default the demo's */
  readonly scopes?: string;
  readonly pageUrl?: string;
  /** Receives each progress event, as the renderer would. */
  readonly onProgress?: (progress: Progress) => void;
}

/**
 * Every browser sign-in the apps' "system browser" started and that has not
 * ended yet. The app's reply comes as soon as its listener has the callback,
 * while the tab is still being answered and closed, so a test can end first:
 * the suite awaits these before it closes the browser.
 */
const browserSignIns = new Set<Promise<unknown>>();
const browserFailures: unknown[] = [];

/**
 * Waits until every browser sign-in the demo apps started has ended, and
 * fails with the errors of those that failed (while the browser was still
 * open, so they are real), which no test may have looked at.
 */
export async function browserSignInsSettled(): Promise<void> {
  await Promise.allSettled([...browserSignIns]);
  if (browserFailures.length > 0) throw new AggregateError(browserFailures.splice(0), 'a browser sign-in failed');
}

function safeStorage(options: DemoAppOptions): SafeStorageLike {
  const safe = standInSafeStorage(options.backend, options.encryption ?? true);
  if (!options.undecryptable) return safe;
  return { ...safe, decryptString: () => { throw new Error('cannot decrypt (stand-in)'); } };
}

/** A test's options for one app: the file's shared parts aside, and `browser` naming what the "system browser" does. */
export type AppOptions = Omit<DemoAppOptions, 'server' | 'browser' | 'parentDir'> & { readonly browser?: BrowserPart };

/**
 * The app starter of one test file: every app on `real`'s server and
 * Chromium, each in a folder of its own under `parentDir`.
 */
export function demoAppStarter(real: ServerAndBrowser, parentDir: string): (options?: AppOptions) => ReturnType<typeof startDemoApp> {
  return (options = {}) => {
    const { browser: part, ...rest } = options;
    return startDemoApp({ server: real.server, browser: real.browser, parentDir, ...rest, ...(part ? { part } : {}) });
  };
}

/** Starts the demo's main-process side; `crossed` collects every value that went to the renderer. */
export function startDemoApp(options: DemoAppOptions) {
  const dir = options.dir ?? mkdtempSync(path.join(options.parentDir, 'app-'));
  const pageUrl = options.pageUrl ?? demoPageUrl;
  const handlers = new Map<string, (event: InvokeEventLike) => unknown>();
  const crossed: unknown[] = [];
  const progress: Progress[] = [];
  const opened: string[] = [];
  const signIns: Promise<SignInResult>[] = [];
  let onOpen: (url: string) => void = () => {};
  let part: BrowserPart = options.part ?? 'allow';
  const webContents = {
    send(channel: string, ...args: unknown[]) {
      if (channel !== channels.progress) throw new Error(`unexpected channel ${channel}`);
      crossed.push(...args);
      progress.push(args[0] as Progress);
      options.onProgress?.(args[0] as Progress);
    },
    isDestroyed: () => false,
  };
  const ipcMain: AuthControllerOptions['ipcMain'] = {
    handle(channel, listener) {
      if (handlers.has(channel)) throw new Error(`a second handler for ${channel}`); // as Electron does
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => void handlers.delete(channel),
  };
  const shell = {
    openExternal(url: string) {
      opened.push(url);
      onOpen(url);
      if (part === 'unavailable') return Promise.reject(new Error('no browser (stand-in)'));
      if (part !== 'ignore') {
        const signIn = signInWithBrowser(options.browser, url, { action: part });
        browserSignIns.add(signIn);
        signIn.then(() => browserSignIns.delete(signIn), (error: unknown) => { browserSignIns.delete(signIn); browserFailures.push(error); });
        signIns.push(signIn);
      }
      return Promise.resolve();
    },
  };
  const userDataPath = path.join(dir, 'userData');
  const controller = createAuthController({
    ipcMain,
    shell,
    safeStorage: safeStorage(options),
    userDataPath,
    webContents,
    pageUrl,
    issuer: options.server.issuer,
    clientId: 'demo-cli',
    env: { XDG_CONFIG_HOME: path.join(dir, 'config') },
    ...(options.timeout ? { timeout: options.timeout } : {}),
    ...(options.scopes ? { scopes: options.scopes } : {}),
  });
  const topFrame: InvokeEventLike = { sender: webContents, senderFrame: { url: pageUrl, parent: null } };

  /** What the preload's ipcRenderer.invoke would get back. */
  async function invoke<T = undefined>(channel: string, event: InvokeEventLike = topFrame): Promise<Reply<T>> {
    const handler = handlers.get(channel);
    if (!handler) throw new Error(`no handler for ${channel}`);
    const reply = (await handler(event)) as Reply<T>;
    crossed.push(reply);
    return reply;
  }
  /** Resolves with the next URL handed to the "system browser". */
  const nextOpen = () => new Promise<string>((resolve) => { onOpen = resolve; });
  /** Clicks "Sign in" and waits for the browser to be sent off: the pending reply, the URL, its loopback port. */
  async function beginLogin(): Promise<{ reply: Promise<Reply<ViewState>>; url: string; port: number }> {
    const opened = nextOpen();
    const reply = invoke<ViewState>(channels.login);
    // A sign-in that ends before it opens the browser fails here, not by the test's timeout.
    const url = await Promise.race([opened, reply.then((r) => Promise.reject(new Error(`login ended before opening the browser: ${JSON.stringify(r.ok ? r.state : r.error)}`)))]);
    return { reply, url, port: Number(new URL(new URL(url).searchParams.get('redirect_uri')!).port) };
  }
  /** The access, refresh and ID tokens the store holds now. */
  async function storedTokens(): Promise<string[]> {
    const raw = await controller.store.get('default');
    const secrets = JSON.parse(raw ?? '{}') as Record<string, unknown>;
    return ['access_token', 'refresh_token', 'id_token'].map((k) => secrets[k]).filter((v): v is string => typeof v === 'string');
  }
  const secretsDir = path.join(userDataPath, 'loopauth-secrets');
  const secretFiles = () => (existsSync(secretsDir) ? readdirSync(secretsDir) : []);
  const setBrowserPart = (next: BrowserPart) => { part = next; };
  return { controller, handlers, invoke, crossed, progress, opened, signIns, nextOpen, beginLogin, storedTokens, secretFiles, setBrowserPart, webContents, dir };
}
