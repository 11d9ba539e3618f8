/** getStatus() and listProfiles(): what is signed in, never a secret. */
import { LoopauthError } from './errors.js';
import type { ProfileOptions, Session } from './options.js';
import { resolveProfileOptions } from './options.js';
import { configRoot, checkAppName } from './paths.js';
import { listProfileNames, readProfile } from './profiles.js';
import { readSecrets, nowSeconds } from './secrets.js';
import { sessionOf } from './session.js';
import { storeFor } from './tokens.js';

/** A profile's session and whether it can be used without the person. */
export interface Status extends Session {
  /**
   * `active`: the access token is valid; `expired`: it is not, but the next
   * `getAccessToken` refreshes it; `login_required`: a new login is needed.
   */
  readonly state: 'active' | 'expired' | 'login_required';
  /** Why the state is what it is, in words. */
  readonly reason: string;
}

/**
 * The status of one profile.
 * @throws {LoopauthError} `login_required` when the profile does not exist.
 */
export async function getStatus(options: ProfileOptions = {}): Promise<Status> {
  const common = resolveProfileOptions(options);
  const data = readProfile(common.root, common.profile);
  if (!data) throw new LoopauthError('login_required', `no profile ${common.profile}: run loopauth login${common.profile === 'default' ? '' : ` --profile ${common.profile}`}`);
  if (!data.hasSession) {
    return { ...sessionOf(common.profile, data, undefined), state: 'login_required', reason: 'signed out: run loopauth login' };
  }
  const store = storeFor(data, options.store, common.appName, common.root);
  const secrets = await readSecrets(store, common.profile);
  const session = sessionOf(common.profile, data, secrets);
  if (!secrets) {
    const reason = store.kind === 'keychain' ? 'the keychain has no entry for it (locked keyring?)' : `the ${store.kind} store has no session for it`;
    return { ...session, state: 'login_required', reason };
  }
  const left = (secrets.expires_at ?? 0) - nowSeconds();
  if (secrets.access_token && left > 0) return { ...session, state: 'active', reason: `access token valid for ${formatSeconds(left)}` };
  if (secrets.refresh_token) return { ...session, state: 'expired', reason: 'access token expired; the next token request refreshes it' };
  return { ...session, state: 'login_required', reason: 'access token expired and there is no refresh token' };
}

/** Names of the profiles of an app (default `loopauth`). */
export async function listProfiles(options: { appName?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string[]> {
  return listProfileNames(configRoot(checkAppName(options.appName ?? 'loopauth'), options.env));
}

function formatSeconds(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
