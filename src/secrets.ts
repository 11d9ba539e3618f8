/**
 * The secrets of one profile, kept together as one entry of the
 * {@link SecretStore}, so that a rotated refresh token and the access token
 * it came with are written in one atomic step.
 */
import { LoopauthError } from './errors.js';
import type { SecretStore } from './store/types.js';

/** What the store holds for a profile. Wire names, as the token endpoint sent them. */
export interface SessionSecrets {
  readonly refresh_token?: string;
  readonly access_token?: string;
  readonly token_type?: string;
  /** Access token expiry, seconds since the epoch. */
  readonly expires_at?: number;
  readonly id_token?: string;
  /** ID token expiry (its `exp`), seconds since the epoch. */
  readonly id_token_expires_at?: number;
  /** Scopes granted, space-separated. */
  readonly scope?: string;
  readonly client_secret?: string;
}

/** Reads a profile's secrets; `undefined` when the store has none. */
export async function readSecrets(store: SecretStore, profile: string): Promise<SessionSecrets | undefined> {
  const raw = await store.get(profile);
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as unknown;
    if (value && typeof value === 'object') return value;
  } catch {
    // fall through
  }
  throw new LoopauthError('store_failed', `the ${store.kind} store holds an unreadable entry for profile ${profile}; run loopauth logout, then login`);
}

/** Saves a profile's secrets, replacing what was there. */
export async function writeSecrets(store: SecretStore, profile: string, secrets: SessionSecrets): Promise<void> {
  await store.set(profile, JSON.stringify(secrets));
}

/** Seconds since the epoch. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
