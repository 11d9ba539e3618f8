/**
 * getAccessToken(): a valid access token without user interaction. On a
 * cache hit this module touches only the profile file and the store: no
 * protocol library, no lock (`loopauth token` runs in loops).
 */
import { LoopauthError } from './errors.js';
import type { ProfileOptions } from './options.js';
import { resolveProfileOptions } from './options.js';
import type { ProfileData } from './profiles.js';
import { profileFile, readProfile } from './profiles.js';
import { statSync } from 'node:fs';
import type { SessionSecrets } from './secrets.js';
import { nowSeconds, readSecrets } from './secrets.js';
import { resolveStore } from './store/index.js';
import type { SecretStore } from './store/types.js';

/** Options of {@link getAccessToken}. */
export interface TokenOptions extends ProfileOptions {
  /**
   * Seconds the returned token must still be valid for; a cached token with
   * less left is refreshed. If even a fresh one has less, it is returned
   * all the same. @default 60
   */
  readonly minTtl?: number;
  /** Refresh even when the cached token is still good. @default false */
  readonly forceRefresh?: boolean;
  /** Seconds a refresh may take, lock wait included. @default 60 */
  readonly timeout?: number;
}

/** An access token and what is known about it. */
export interface AccessToken {
  readonly accessToken: string;
  /** As the server sent it (`Bearer`, `DPoP`, ...), normalised to `Bearer` for bearer tokens. */
  readonly tokenType: string;
  readonly expiresAt?: Date;
  readonly scopes: readonly string[];
  readonly profile: string;
  /** The ID token, for servers that take one (Kubernetes). */
  readonly idToken?: string;
  readonly idTokenExpiresAt?: Date;
}

/**
 * Returns the cached access token while it has more than `minTtl` seconds
 * left, else refreshes it (one refresh across all processes, the rotated
 * refresh token saved before the access token is returned).
 *
 * @throws {LoopauthError} `login_required` when there is no usable session.
 * @example
 * ```ts
 * const { accessToken } = await getAccessToken({ profile: 'work' })
 * await fetch(api, { headers: { authorization: `Bearer ${accessToken}` } })
 * ```
 */
export async function getAccessToken(options: TokenOptions = {}): Promise<AccessToken> {
  const common = resolveProfileOptions(options);
  const minTtl = options.minTtl ?? 60;
  if (typeof minTtl !== 'number' || !Number.isFinite(minTtl) || minTtl < 0) throw new TypeError('minTtl must be a number of seconds >= 0');
  const cacheKey = typeof options.store === 'object' ? undefined : `${common.root}\0${common.profile}\0${options.store ?? ''}`;
  if (!options.forceRefresh && cacheKey) {
    const hit = cachedToken(cacheKey, common.root, common.profile, minTtl);
    if (hit) return hit;
  }
  const stamp = profileStamp(common.root, common.profile);
  const data = requireProfile(common.root, common.profile);
  const store = storeFor(data, options.store, common.appName, common.root);
  const secrets = await requireSecrets(store, common.profile, data);
  if (!options.forceRefresh && isFresh(secrets, minTtl)) {
    if (cacheKey) remember(cacheKey, stamp, data, secrets);
    return tokenView(common.profile, data, secrets);
  }
  const { refreshSession } = await import('./refresh.js');
  const refreshed = await refreshSession({
    ...common,
    store,
    minTtl,
    force: options.forceRefresh === true,
    timeout: options.timeout ?? 60,
    ...(secrets.access_token ? { seen: secrets.access_token } : {}),
  });
  if (cacheKey) remember(cacheKey, profileStamp(common.root, common.profile), refreshed.data, refreshed.secrets);
  return tokenView(common.profile, refreshed.data, refreshed.secrets);
}

/**
 * In-process cache for apps that call getAccessToken() often (Electron,
 * agents): a hit costs one stat() of the profile file, no keychain round
 * trip. Any login or logout, in any process, rewrites the profile file and
 * so invalidates it; a refresh elsewhere leaves our token valid until it expires.
 */
const cache = new Map<string, { stamp: string; data: ProfileData; secrets: SessionSecrets }>();

function profileStamp(root: string, profile: string): string {
  try {
    const st = statSync(profileFile(root, profile), { bigint: true });
    return `${st.mtimeNs}:${st.size}:${st.ino}`;
  } catch {
    return '';
  }
}

function remember(key: string, stamp: string, data: ProfileData, secrets: SessionSecrets): void {
  if (stamp) cache.set(key, { stamp, data, secrets });
}

function cachedToken(key: string, root: string, profile: string, minTtl: number): AccessToken | undefined {
  const entry = cache.get(key);
  if (!entry) return undefined;
  if (entry.stamp !== profileStamp(root, profile) || !isFresh(entry.secrets, minTtl)) {
    cache.delete(key);
    return undefined;
  }
  return tokenView(profile, entry.data, entry.secrets);
}

/** The profile, or `login_required` naming the way out. */
export function requireProfile(root: string, profile: string): ProfileData {
  const data = readProfile(root, profile);
  if (!data) throw new LoopauthError('login_required', `no profile ${profile}: run loopauth login${profile === 'default' ? '' : ` --profile ${profile}`}`);
  if (!data.hasSession) throw new LoopauthError('login_required', `profile ${profile} is signed out: run loopauth login${profile === 'default' ? '' : ` --profile ${profile}`}`);
  return data;
}

/** The store a profile's secrets are in (an explicit store wins). */
export function storeFor(data: ProfileData, explicit: ProfileOptions['store'], appName: string, root: string): SecretStore {
  if (explicit !== undefined) return resolveStore(explicit, appName, root);
  if (data.store === 'keychain' || data.store === 'file' || data.store === 'memory') return resolveStore(data.store, appName, root);
  throw new LoopauthError('login_required', `profile's secrets are in the app's own store (${data.store}); pass that store`);
}

/**
 * The secrets of a profile that should have a session. keytar reads a locked
 * keyring as empty, so for the keychain an empty read is not a sign-out.
 */
export async function requireSecrets(store: SecretStore, profile: string, data: ProfileData): Promise<SessionSecrets> {
  const secrets = await readSecrets(store, profile);
  if (secrets) return secrets;
  if (store.kind === 'keychain' && data.store === 'keychain') {
    throw new LoopauthError('keychain_unavailable', `the OS keychain has no entry for profile ${profile} although it was signed in: is the keyring locked? Unlock it, or run loopauth login`);
  }
  throw new LoopauthError('login_required', `the ${store.kind} store has no session for profile ${profile}: run loopauth login`);
}

/** Whether the cached access token has more than `minTtl` seconds left. */
export function isFresh(secrets: SessionSecrets, minTtl: number): boolean {
  return typeof secrets.access_token === 'string' && typeof secrets.expires_at === 'number' && secrets.expires_at - nowSeconds() > minTtl;
}

/** The public view of the token. */
export function tokenView(profile: string, data: ProfileData, secrets: SessionSecrets): AccessToken {
  const type = secrets.token_type ?? 'bearer';
  return {
    accessToken: secrets.access_token!,
    tokenType: type.toLowerCase() === 'bearer' ? 'Bearer' : type,
    ...(secrets.expires_at !== undefined ? { expiresAt: new Date(secrets.expires_at * 1000) } : {}),
    scopes: (secrets.scope ?? data.scopes.join(' ')).split(' ').filter(Boolean),
    profile,
    ...(secrets.id_token ? { idToken: secrets.id_token } : {}),
    ...(secrets.id_token_expires_at !== undefined ? { idTokenExpiresAt: new Date(secrets.id_token_expires_at * 1000) } : {}),
  };
}
