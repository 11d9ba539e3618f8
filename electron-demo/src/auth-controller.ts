/**
 * The demo's main-process side: loopauth behind four IPC handlers. Electron's
 * objects (`ipcMain`, `shell`, `safeStorage`, the userData path, the window's
 * webContents) come in as parameters, so the tests drive this module with
 * stand-ins for them and everything else real.
 *
 * Rules it keeps: one sign-in at a time (a second click re-opens the pending
 * request in the browser and joins it); quitting aborts a pending sign-in,
 * which closes its listener; tokens stay in this process, and every value
 * sent to the renderer is a {@link ViewState}, an error code, or userinfo claims.
 */
import { getAccessToken, getStatus, login, logout, LoopauthError } from 'loopauth';
import type { SecretStore } from 'loopauth';
import { createElectronStore } from 'loopauth/electron';
import type { SafeStorageLike } from 'loopauth/electron';
import type { BridgeError, Progress, Reply, UserInfo, ViewState } from './bridge.js';
import { channels } from './bridge.js';
import type { InvokeEventLike } from './frame-guard.js';
import { checkSender } from './frame-guard.js';
import { fetchUserInfo } from './userinfo.js';

/** The part of Electron's `ipcMain` used. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike) => unknown): void;
  removeHandler(channel: string): void;
}

/** The part of Electron's `WebContents` used. */
export interface WebContentsLike {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

/** Options of {@link createAuthController}. */
export interface AuthControllerOptions {
  readonly ipcMain: IpcMainLike;
  /** Electron's `shell`: the authorization URL goes to the system browser (RFC 8252 §8.12). */
  readonly shell: { openExternal(url: string): Promise<void> };
  readonly safeStorage: SafeStorageLike;
  /** `app.getPath('userData')`: encrypted secrets go under it. */
  readonly userDataPath: string;
  /** The app window's webContents: the only IPC sender answered, the receiver of progress. */
  readonly webContents: WebContentsLike;
  /** The URL of the app's page (file://...); a frame showing anything else is refused. */
  readonly pageUrl: string;
  readonly issuer: string;
  readonly clientId: string;
  /** Keeps the app's profiles apart from the CLI's. @default 'loopauth-electron-demo' */
  readonly appName?: string;
  /** @default 'openid offline_access profile email' */
  readonly scopes?: string;
  /** Seconds a sign-in may take. @default 300 */
  readonly timeout?: number;
  /** Where loopauth looks for `XDG_CONFIG_HOME`. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** What {@link createAuthController} returns to main.ts. */
export interface AuthController {
  /** Whether secrets survive a restart (false: memory only; see `warning`). */
  readonly persistent: boolean;
  readonly warning?: string;
  /** The store the session lives in (main process only). */
  readonly store: SecretStore;
  /** For app quit: aborts a pending sign-in, waits until its port is free, removes the handlers. */
  dispose(): Promise<void>;
}

/** Registers the IPC handlers and returns the controller. */
export function createAuthController(options: AuthControllerOptions): AuthController {
  const { ipcMain, shell, webContents, pageUrl, issuer, clientId } = options;
  const appName = options.appName ?? 'loopauth-electron-demo';
  const { store, persistent, warning } = createElectronStore({ safeStorage: options.safeStorage, userDataPath: options.userDataPath });
  const profile = { appName, store, ...(options.env ? { env: options.env } : {}) };
  const quitting = new AbortController();
  let pending: { readonly promise: Promise<Reply>; readonly abort: AbortController } | undefined;
  /** The pending sign-in's authorization URL, once loopauth has made it. */
  let pendingUrl: string | undefined;
  let userName: string | undefined;

  const send = (progress: Progress): void => {
    if (!webContents.isDestroyed()) webContents.send(channels.progress, progress);
  };

  async function view(): Promise<ViewState> {
    const base = { pending: pending !== undefined, persistent, ...(warning ? { warning } : {}) };
    try {
      const status = await getStatus(profile);
      if (status.state === 'login_required') return { ...base, signedIn: false };
      userName ??= await nameOf(status.subject).catch(() => undefined);
      const user = userName ?? status.subject;
      return { ...base, signedIn: true, ...(user ? { user } : {}), ...(status.expiresAt ? { expiresAt: status.expiresAt.toISOString() } : {}) };
    } catch (e) {
      if (e instanceof LoopauthError && e.code === 'login_required') return { ...base, signedIn: false };
      throw e;
    }
  }

  async function nameOf(subject: string | undefined): Promise<string | undefined> {
    const claims = await userInfo(subject);
    return typeof claims.name === 'string' ? claims.name : undefined;
  }

  async function userInfo(subject: string | undefined): Promise<UserInfo> {
    const { accessToken } = await getAccessToken({ ...profile, signal: quitting.signal });
    // A stuck API must not leave the window waiting forever.
    const signal = AbortSignal.any([quitting.signal, AbortSignal.timeout(15_000)]);
    return fetchUserInfo({ issuer, clientId, accessToken, ...(subject ? { subject } : {}), signal });
  }

  async function reply<T>(work: () => Promise<T | undefined>): Promise<Reply<T>> {
    try {
      const value = await work();
      return { ok: true, state: await view(), ...(value === undefined ? {} : { value }) };
    } catch (e) {
      return { ok: false, state: await view().catch(() => signedOutView()), error: bridgeError(e) };
    }
  }

  const signedOutView = (): ViewState => ({ signedIn: false, pending: pending !== undefined, persistent, ...(warning ? { warning } : {}) });

  function startLogin(): Promise<Reply> {
    if (pending) {
      // The person lost the browser tab: bring the same request back, never start a second listener.
      send({ step: 'already-pending' });
      if (pendingUrl) void shell.openExternal(pendingUrl).catch(() => undefined);
      return pending.promise;
    }
    const abort = new AbortController();
    pendingUrl = undefined;
    pending = { abort, promise: signIn(AbortSignal.any([abort.signal, quitting.signal])) };
    return pending.promise;
  }

  async function signIn(signal: AbortSignal): Promise<Reply> {
    send({ step: 'starting' });
    try {
      await login({
        ...profile,
        issuer,
        clientId,
        scopes: options.scopes ?? 'openid offline_access profile email',
        signal,
        ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
        onAuthorizationUrl: (url) => {
          pendingUrl = url;
        },
        openBrowser: async (url) => {
          try {
            await shell.openExternal(url);
            send({ step: 'browser-opened' });
          } catch {
            // loopauth's own warning points at a printed URL, which this window does not show.
            send({ step: 'warning', message: 'Your browser could not be opened. Try "Open the browser again", or cancel.' });
          }
        },
        onWarning: (message) => send({ step: 'warning', message }), // loopauth's messages hold no secret
      });
      userName = undefined;
      pending = undefined;
      const state = await view();
      send({ step: 'signed-in', state });
      return { ok: true as const, state };
    } catch (e) {
      pending = undefined;
      const error = bridgeError(e);
      send({ step: 'failed', error });
      return { ok: false as const, state: await view().catch(() => signedOutView()), error };
    }
  }

  async function signOut(): Promise<Reply> {
    if (pending) {
      // "Cancel" while signing in: stop that sign-in; an earlier session is left as it was.
      const { promise, abort } = pending;
      abort.abort();
      await promise;
      return reply(nothing);
    }
    return reply(async () => {
      userName = undefined;
      await logout({ ...profile, signal: quitting.signal }).catch((e: unknown) => {
        if (!(e instanceof LoopauthError && e.code === 'login_required')) throw e;
      });
      send({ step: 'signed-out', state: signedOutView() });
      return undefined;
    });
  }

  const guarded = <T>(fn: () => Promise<T>) => (event: InvokeEventLike): Promise<T> => {
    checkSender(event, webContents, pageUrl);
    return fn();
  };
  ipcMain.handle(channels.login, guarded(startLogin));
  ipcMain.handle(channels.logout, guarded(signOut));
  ipcMain.handle(channels.status, guarded(() => reply(nothing)));
  ipcMain.handle(channels.callApi, guarded(() => reply(async () => userInfo((await getStatus(profile)).subject))));

  return {
    persistent,
    ...(warning ? { warning } : {}),
    store,
    async dispose() {
      for (const channel of [channels.login, channels.logout, channels.status, channels.callApi]) ipcMain.removeHandler(channel);
      quitting.abort();
      await pending?.promise;
    },
  };
}

const nothing = (): Promise<undefined> => Promise.resolve(undefined);

/** An error as the window may see it: a LoopauthError's code and message (which never hold a secret), else a generic one. */
function bridgeError(e: unknown): BridgeError {
  if (e instanceof LoopauthError) return { code: e.code, message: e.message };
  if (e instanceof DOMException && e.name === 'TimeoutError') return { code: 'timeout', message: 'the server did not answer in time' };
  if (e instanceof DOMException && e.name === 'AbortError') return { code: 'cancelled', message: 'the app is closing' };
  if (e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('OAUTH_')) {
    return { code: 'api_failed', message: 'the server refused the request' };
  }
  return { code: 'internal_error', message: 'something went wrong in the app; see its log' };
}
