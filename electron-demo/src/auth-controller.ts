/**
 * The demo's main-process side: loopauth behind four IPC handlers. Electron's
 * objects (`ipcMain`, `shell`, `safeStorage`, the userData path, the window's
 * webContents) come in as parameters, so the tests drive this module with
 * stand-ins for them and everything else real.
 *
 * Rules it keeps: one sign-in at a time (a second click re-opens the pending
 * request in the browser and joins it; a click during a cancel waits for it
 * and starts anew); quitting aborts a pending sign-in, which closes its
 * listener; a call that succeeded is never reported as failed because the
 * view could not be read after it (that is a warning); the user's name never
 * holds a reply up (user-name.ts); tokens stay in this process, and every
 * value sent to the renderer is a {@link ViewState}, an error code, or userinfo claims.
 */
import { getUserInfo, login, logout, LoopauthError } from 'loopauth';
import type { SecretStore, Session } from 'loopauth';
import { createElectronStore } from 'loopauth/electron';
import type { SafeStorageLike } from 'loopauth/electron';
import type { BridgeError, Progress, Reply, UserInfo, ViewState } from './bridge.js';
import { channels } from './bridge.js';
import type { InvokeEventLike } from './frame-guard.js';
import { checkSender } from './frame-guard.js';
import { bridgeError } from './bridge-error.js';
import { createUserName } from './user-name.js';
import { createViews } from './views.js';

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

/** The pending sign-in, as one object: it goes, URL and all, when the sign-in ends. */
interface PendingSignIn {
  readonly promise: Promise<Reply>;
  readonly abort: AbortController;
  /** The authorization URL, once loopauth has made it (a second click re-opens it). */
  url?: string;
}

/** Registers the IPC handlers and returns the controller. */
export function createAuthController(options: AuthControllerOptions): AuthController {
  const { ipcMain, shell, webContents, pageUrl, issuer, clientId } = options;
  const appName = options.appName ?? 'loopauth-electron-demo';
  const { store, persistent, warning } = createElectronStore({ safeStorage: options.safeStorage, userDataPath: options.userDataPath });
  const profile = { appName, store, ...(options.env ? { env: options.env } : {}) };
  const quitting = new AbortController();
  let pending: PendingSignIn | undefined;

  const send = (progress: Progress): void => {
    if (!webContents.isDestroyed()) webContents.send(channels.progress, progress);
  };

  // A stuck API must not hold the window back forever: a quit aborts it, and 15 s ends it.
  const callApi = (): Promise<UserInfo> => getUserInfo({ ...profile, signal: quitting.signal, userInfoTimeout: 15 });

  const userName = createUserName({
    // Replies never wait on the name past the grace (user-name.ts).
    lookup: async () => nameOf(await callApi()),
    onLate: () => void view().then((state) => send({ step: 'updated', state }), () => undefined),
  });

  const { view, signedOutView, signedInView, viewAfterSuccess } = createViews({
    profile,
    userName,
    base: () => ({ pending: pending !== undefined, persistent, ...(warning ? { warning } : {}) }),
  });

  /** The reply to a call that failed: the session as it is now (signed out when even that cannot be read). */
  async function failed(error: BridgeError): Promise<Reply<never>> {
    return { ok: false, state: await view().catch(() => signedOutView()), error };
  }

  /** Runs `work`; `known` is the view its success implies, if any (else a failing view fails the reply). */
  async function reply<T>(work: () => Promise<T | undefined>, known?: (value: T | undefined) => ViewState): Promise<Reply<T>> {
    let value: T | undefined;
    try {
      value = await work();
    } catch (e) {
      return failed(bridgeError(e));
    }
    const withValue = value === undefined ? {} : { value };
    if (!known) {
      try {
        return { ok: true, state: await view(), ...withValue };
      } catch (e) {
        return { ok: false, state: signedOutView(), error: bridgeError(e) };
      }
    }
    const after = await viewAfterSuccess(() => known(value));
    return { ok: true, ...after, ...withValue };
  }

  // loopauth's own warning points at a printed URL, which this window does not show.
  const noBrowser = (): void => send({ step: 'warning', message: 'Your browser could not be opened. Try "Open the browser again", or cancel.' });
  /** Hands the URL to the system browser; a failure is said in the window. */
  async function openBrowser(url: string): Promise<void> {
    try {
      await shell.openExternal(url);
      send({ step: 'browser-opened' });
    } catch {
      noBrowser();
    }
  }

  function startLogin(): Promise<Reply> {
    if (pending && !pending.abort.signal.aborted) {
      // The person lost the browser tab: bring the same request back, never start a second listener.
      send({ step: 'already-pending' });
      // A browser that still cannot be opened is said again: the button must not seem to do nothing.
      if (pending.url) void shell.openExternal(pending.url).catch(noBrowser);
      return pending.promise;
    }
    // "Sign in" right after "Cancel": a new sign-in once the cancelled one has let go of its port.
    if (pending) return pending.promise.then(() => startLogin());
    if (quitting.signal.aborted) return Promise.resolve({ ok: false, state: signedOutView(), error: { code: 'cancelled', message: 'the app is closing' } });
    const attempt: Omit<PendingSignIn, 'promise'> = { abort: new AbortController() };
    pending = Object.assign(attempt, { promise: signIn(attempt) });
    return pending.promise;
  }

  async function signIn(attempt: Omit<PendingSignIn, 'promise'>): Promise<Reply> {
    const ended = (): void => {
      if (pending === attempt) pending = undefined;
    };
    send({ step: 'starting' });
    let session: Session;
    try {
      session = await login({
        ...profile,
        issuer,
        clientId,
        scopes: options.scopes ?? 'openid offline_access profile email',
        signal: AbortSignal.any([attempt.abort.signal, quitting.signal]),
        ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
        onAuthorizationUrl: (url) => {
          attempt.url = url;
        },
        openBrowser,
        onWarning: (message) => send({ step: 'warning', message }), // loopauth's messages hold no secret
      });
    } catch (e) {
      ended();
      const error = bridgeError(e);
      send({ step: 'failed', error });
      return failed(error);
    }
    // Signed in, whatever happens next: a failure to read the view back is a warning, not a failed sign-in.
    ended();
    userName.forget();
    const { state, warning: problem } = await viewAfterSuccess(() => signedInView(session.subject, session.expiresAt));
    send({ step: 'signed-in', state });
    if (problem) send({ step: 'warning', message: problem.message });
    return { ok: true as const, state, ...(problem ? { warning: problem } : {}) };
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
      userName.forget();
      await logout({ ...profile, signal: quitting.signal }).catch((e: unknown) => {
        if (!(e instanceof LoopauthError && e.code === 'login_required')) throw e;
      });
      send({ step: 'signed-out', state: signedOutView() });
      return undefined;
    }, signedOutView);
  }

  /** Every IPC handler by channel: registered here, removed by dispose(), each behind the sender check. */
  const handlers: ReadonlyMap<string, () => Promise<Reply<unknown>>> = new Map([
    [channels.login, startLogin],
    [channels.logout, signOut],
    [channels.status, () => reply(nothing)],
    // The API answered for this session, so the person is signed in even if the view cannot be read back.
    [channels.callApi, () => reply(callApi, (claims) => signedInView(claims && nameOf(claims)))],
  ]);
  for (const [channel, handler] of handlers) {
    ipcMain.handle(channel, (event: InvokeEventLike) => {
      checkSender(event, webContents, pageUrl);
      return handler();
    });
  }

  return {
    persistent,
    ...(warning ? { warning } : {}),
    store,
    async dispose() {
      for (const channel of handlers.keys()) ipcMain.removeHandler(channel);
      quitting.abort();
      await pending?.promise;
    },
  };
}

const nothing = (): Promise<undefined> => Promise.resolve(undefined);
/** The person's name from userinfo claims (OpenID Connect Core §5.1 `name`), if it is a string. */
const nameOf = (claims: UserInfo): string | undefined => (typeof claims.name === 'string' ? claims.name : undefined);
