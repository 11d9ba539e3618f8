/**
 * What crosses the preload bridge, both ways. Only these shapes ever reach
 * the renderer: a view of the session (user name, expiry, store warning),
 * error codes, and the userinfo claims. Never a token.
 */

/** IPC channels. preload.cts repeats them (a sandboxed preload cannot import files). */
export const channels = {
  login: 'loopauth:login',
  logout: 'loopauth:logout',
  status: 'loopauth:status',
  callApi: 'loopauth:call-api',
  progress: 'loopauth:progress',
} as const;

/** What the window shows about the session. */
export interface ViewState {
  readonly signedIn: boolean;
  /** The signed-in person's name (from userinfo), else their subject. */
  readonly user?: string;
  /** When the access token expires, ISO 8601. */
  readonly expiresAt?: string;
  /** A sign-in is under way. */
  readonly pending: boolean;
  /** Whether the session survives a restart (false: memory only). */
  readonly persistent: boolean;
  /** Why the session is kept in memory only, to show in the window. */
  readonly warning?: string;
}

/** A failure, as the window sees it: loopauth's stable `code` and a message a person can act on. */
export interface BridgeError {
  readonly code: string;
  readonly message: string;
}

/** The answer to every bridge call. */
export type Reply<T = undefined> =
  /** `warning`: the call succeeded, but something after it did not (the window says both). */
  | { readonly ok: true; readonly state: ViewState; readonly value?: T; readonly warning?: BridgeError }
  | { readonly ok: false; readonly state: ViewState; readonly error: BridgeError };

/** The userinfo claims "call the API" shows. */
export type UserInfo = Readonly<Record<string, unknown>>;

/** Steps of a sign-in, sent to the window as they happen. */
export type Progress =
  | { readonly step: 'starting' }
  | { readonly step: 'browser-opened' }
  | { readonly step: 'already-pending' }
  /** Something the person should know that does not stop the sign-in. */
  | { readonly step: 'warning'; readonly message: string }
  | { readonly step: 'signed-in'; readonly state: ViewState }
  | { readonly step: 'failed'; readonly error: BridgeError }
  | { readonly step: 'signed-out'; readonly state: ViewState }
  /** The view changed outside any call (the user's name arrived after the reply). */
  | { readonly step: 'updated'; readonly state: ViewState };

/** The API the preload exposes as `window.loopauth`. */
export interface LoopauthBridge {
  login(): Promise<Reply>;
  logout(): Promise<Reply>;
  status(): Promise<Reply>;
  callApi(): Promise<Reply<UserInfo>>;
  /** Subscribes to sign-in progress; returns the unsubscribe function. */
  onProgress(listener: (progress: Progress) => void): () => void;
}
