/**
 * Options of the public functions, their defaults, and the argument checks
 * that turn misuse into a `TypeError` naming the argument.
 */
import { configRoot, checkAppName, checkProfileName } from './paths.js';
import type { RedirectHost } from './listener.js';
import type { SecretStore, StoreKind } from './store/types.js';
import { resolveStore } from './store/index.js';

/** Options every function that touches a profile takes. */
export interface ProfileOptions {
  /** The profile's name. @default 'default' */
  readonly profile?: string;
  /**
   * Names the config folder and the keychain service, so that an app built
   * on loopauth keeps its sessions apart from every other. @default 'loopauth'
   */
  readonly appName?: string;
  /**
   * Where secrets live. @default 'keychain' (for an existing profile: the
   * store it was signed in with)
   */
  readonly store?: SecretStore | StoreKind;
  /** Aborts the operation; it then rejects with code `cancelled`. */
  readonly signal?: AbortSignal;
  /** A `fetch` to use for every request to the server (Electron's `net.fetch`, say). @default node:http(s), or undici's fetch when HTTPS_PROXY/HTTP_PROXY is set */
  readonly fetch?: typeof fetch;
  /** Receives step-by-step lines with every secret redacted (`--verbose`). */
  readonly debug?: (line: string) => void;
  /** Environment to read `XDG_CONFIG_HOME`/`APPDATA` from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** What a URL opener receives: the authorization URL, nothing else. */
export type OpenBrowser = (url: string) => unknown;

/** Options of {@link login}. */
export interface LoginOptions extends ProfileOptions {
  /** The authorization server's issuer identifier (https, or http on loopback). */
  readonly issuer?: string | URL;
  /** A protected resource's URL (RFC 9728); its metadata names the issuer. */
  readonly resourceUrl?: string | URL;
  /** The client id registered with the server. Without it, dynamic registration is tried. */
  readonly clientId?: string;
  /** A client secret, for servers that insist on one. PKCE is used all the same. */
  readonly clientSecret?: string;
  /** Scopes to ask for. @default 'openid offline_access' */
  readonly scopes?: string | readonly string[];
  /** Resource indicators (RFC 8707), sent in every request. */
  readonly resource?: string | readonly string[];
  /** Extra authorization request parameters (`prompt`, `access_type`, `audience`, ...). */
  readonly extraParams?: Readonly<Record<string, string>>;
  /** A fixed port, or preferred ports in order. @default an ephemeral port */
  readonly port?: number | readonly number[];
  /** The redirect URI's host. @default '127.0.0.1' */
  readonly redirectHost?: RedirectHost;
  /**
   * Opens the authorization URL. `false` opens nothing (print it yourself
   * with `onAuthorizationUrl`). @default the system browser (`BROWSER`, else `open`)
   */
  readonly openBrowser?: OpenBrowser | false;
  /**
   * Receives things the person should know that do not stop the sign-in (the
   * browser could not be opened, a pasted URL was refused).
   * @default process.emitWarning
   */
  readonly onWarning?: (message: string) => void;
  /** Called with the authorization URL before the browser opens (not awaited; a rejected promise becomes a warning). */
  readonly onAuthorizationUrl?: (url: string) => unknown;
  /**
   * `browser` (authorization code + PKCE through the loopback listener),
   * `device` (RFC 8628), or `auto`: the browser unless there is no desktop.
   * @default 'browser' in the library, 'auto' on the command line
   */
  readonly flow?: 'auto' | 'browser' | 'device';
  /** Receives the device flow's verification URL and user code. */
  readonly onUserCode?: (info: { verificationUri: string; verificationUriComplete?: string; userCode: string; expiresIn: number }) => unknown;
  /** Seconds from the start of `login` until it fails with `timeout`. @default 300 */
  readonly timeout?: number;
  /**
   * Also accept the final redirect URL pasted on this stream, one per line
   * (for a browser on another machine).
   */
  readonly pasteInput?: NodeJS.ReadableStream;
}

/** The session `login` made, as `getStatus` reports it too. Never a secret. */
export interface Session {
  readonly profile: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly subject?: string;
  readonly scopes: readonly string[];
  /** When the access token expires, if the server said. */
  readonly expiresAt?: Date;
  /** Which store holds the secrets. */
  readonly store: string;
  readonly resource?: readonly string[];
}

/** Checked common options, with defaults applied. */
export interface ResolvedProfileOptions {
  readonly profile: string;
  readonly appName: string;
  readonly root: string;
  readonly storeOption: SecretStore | StoreKind | undefined;
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
  readonly debug?: (line: string) => void;
}

/** Checks the options every profile function takes. */
export function resolveProfileOptions(options: ProfileOptions): ResolvedProfileOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const appName = checkAppName(options.appName ?? 'loopauth');
  const profile = checkProfileName(options.profile ?? 'default');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal');
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new TypeError('fetch must be a function');
  if (options.store !== undefined) resolveStore(options.store, appName, ''); // throws TypeError on a bad value
  return {
    profile,
    appName,
    root: configRoot(appName, options.env),
    storeOption: options.store,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.debug ? { debug: options.debug } : {}),
  };
}

/** Splits scopes given as a string or a list; rejects empty ones. */
export function normalizeScopes(scopes: string | readonly string[] | undefined): string[] | undefined {
  if (scopes === undefined) return undefined;
  const list = typeof scopes === 'string' ? scopes.split(/\s+/) : [...scopes];
  const out = list.filter((s) => s !== '');
  for (const s of out) {
    if (typeof s !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)) throw new TypeError(`scope ${JSON.stringify(s)} has characters RFC 6749 §3.3 does not allow`);
  }
  if (out.length === 0) throw new TypeError('scopes must not be empty');
  return [...new Set(out)];
}

/** Parameters that loopauth sets itself; `extraParams` may not override them. */
export const reservedParams = new Set([
  'client_id',
  'redirect_uri',
  'response_type',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'scope',
  'resource',
  'response_mode',
  'request',
  'request_uri',
]);

/** Checks `timeout` (seconds). */
export function checkTimeout(timeout: unknown): number {
  const t = timeout ?? 300;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0 || t > 86_400) throw new TypeError('timeout must be a number of seconds between 0 and 86400');
  return t;
}

const redirectHosts: readonly string[] = ['127.0.0.1', '[::1]', 'localhost'];
const flows: readonly string[] = ['auto', 'browser', 'device'];

/**
 * Checks the shape of {@link login}'s own options up front, so that misuse
 * is a `TypeError` before anything starts (deep in the flow it would read
 * as a failed sign-in).
 */
export function checkLoginOptions(options: LoginOptions): void {
  const { port, redirectHost, openBrowser, flow, extraParams } = options as Record<string, unknown>;
  if (extraParams !== undefined && (extraParams === null || typeof extraParams !== 'object' || Array.isArray(extraParams))) {
    throw new TypeError('extraParams must be an object of KEY: VALUE strings');
  }
  if (port !== undefined) {
    const list = typeof port === 'number' ? [port] : Array.isArray(port) ? (port as unknown[]) : undefined;
    if (!list?.length || list.some((p) => !Number.isInteger(p) || (p as number) < 0 || (p as number) > 65535)) {
      throw new TypeError('port must be an integer from 0 to 65535, or a non-empty list of them');
    }
  }
  if (redirectHost !== undefined && !redirectHosts.includes(redirectHost as string)) throw new TypeError(`redirectHost must be one of ${redirectHosts.join(', ')}`);
  if (openBrowser !== undefined && openBrowser !== false && typeof openBrowser !== 'function') throw new TypeError('openBrowser must be a function or false');
  if (flow !== undefined && !flows.includes(flow as string)) throw new TypeError(`flow must be one of ${flows.join(', ')}`);
  for (const name of ['onAuthorizationUrl', 'onUserCode', 'onWarning'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new TypeError(`${name} must be a function`);
  }
}
