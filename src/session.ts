/**
 * Saving a session: the secrets to the store, then the profile that says the
 * store holds them, both under the profile's lock so that a refresh running
 * meanwhile cannot write an old grant over the new one.
 */
import { withProfileLock } from './lock.js';
import type { Session } from './options.js';
import type { ProfileData } from './profiles.js';
import { readProfile, writeProfile } from './profiles.js';
import type { SessionSecrets } from './secrets.js';
import { writeSecrets } from './secrets.js';
import type { SecretStore } from './store/types.js';

/** The public view of a profile and its secrets: never a secret. */
export function sessionOf(profile: string, data: ProfileData, secrets: SessionSecrets | undefined): Session {
  const scopes = secrets?.scope !== undefined ? secrets.scope.split(' ').filter(Boolean) : [...data.scopes];
  return {
    profile,
    issuer: data.issuer,
    clientId: data.clientId,
    ...(data.subject ? { subject: data.subject } : {}),
    scopes,
    ...(secrets?.expires_at !== undefined ? { expiresAt: new Date(secrets.expires_at * 1000) } : {}),
    store: data.store,
    ...(data.resource?.length ? { resource: data.resource } : {}),
  };
}

/** What a new sign-in saves. */
export interface NewSession {
  readonly root: string;
  readonly profile: string;
  readonly store: SecretStore;
  readonly secrets: SessionSecrets;
  readonly data: Omit<ProfileData, 'version' | 'updatedAt' | 'hasSession' | 'store'>;
  readonly signal?: AbortSignal;
}

/**
 * Replaces the profile's session with a new one. The old secrets are
 * replaced in one store write; if the profile used another store before,
 * its secrets there are removed afterwards.
 */
export async function saveNewSession(s: NewSession, oldStore: SecretStore | undefined): Promise<Session> {
  return withProfileLock({ root: s.root, profile: s.profile, ...(s.signal ? { signal: s.signal } : {}) }, async () => {
    readProfile(s.root, s.profile); // a profile turned corrupt or newer meanwhile is still refused
    await writeSecrets(s.store, s.profile, s.secrets);
    const data = await writeProfile(s.root, s.profile, { ...s.data, store: s.store.kind, hasSession: true });
    if (oldStore && oldStore.kind !== s.store.kind) await oldStore.delete(s.profile).catch(() => false);
    return sessionOf(s.profile, data, s.secrets);
  });
}
