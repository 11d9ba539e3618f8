/**
 * logout(): revoke the refresh token at the server (RFC 7009) when it has a
 * revocation endpoint, then delete the profile's secrets, always.
 */
import * as oauth from 'oauth4webapi';
import { clientAuth, oauthClient, serverOf } from './client.js';
import { LoopauthError, toLoopauthError } from './errors.js';
import { httpOptions } from './http.js';
import { withProfileLock } from './lock.js';
import type { ProfileOptions, ResolvedProfileOptions } from './options.js';
import type { ProfileData } from './profiles.js';
import { resolveProfileOptions } from './options.js';
import { readProfile, writeProfile } from './profiles.js';
import { readSecrets } from './secrets.js';
import { withDeadline } from './signals.js';
import { storeFor } from './tokens.js';

/** Options of {@link logout}. */
export interface LogoutOptions extends ProfileOptions {
  /** Revoke the refresh token at the server first. @default true */
  readonly revoke?: boolean;
  /** Seconds the revocation may take. @default 30 */
  readonly timeout?: number;
}

/** What {@link logout} did. */
export interface LogoutResult {
  readonly profile: string;
  /** `revoked`, `not_supported` (no endpoint), `skipped` (revoke: false, or no token), or `failed`. */
  readonly revocation: 'revoked' | 'not_supported' | 'skipped' | 'failed';
  /** Which token was sent for revocation: the refresh token, or the access token of a session that has none. */
  readonly revokedToken?: 'refresh_token' | 'access_token';
  /** Why the revocation failed, when it did (scrubbed). */
  readonly revocationError?: LoopauthError;
  /** Whether local secrets were deleted. */
  readonly deleted: boolean;
}

/**
 * Signs a profile out. Local secrets are deleted even when the server's
 * revocation fails; the result says so (the CLI then exits 1).
 *
 * @throws {LoopauthError} `login_required` for a profile that does not exist or is already signed out.
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
export async function logout(options: LogoutOptions = {}): Promise<LogoutResult> {
  const common = resolveProfileOptions(options);
  const existing = readProfile(common.root, common.profile);
  if (!existing) throw new LoopauthError('login_required', `no profile ${common.profile}`);
  const deadline = withDeadline(common.signal, options.timeout ?? 30);
  try {
    return await logoutLocked(options, common, existing, deadline.signal);
  } finally {
    deadline.clear();
  }
}

async function logoutLocked(options: LogoutOptions, common: ResolvedProfileOptions, existing: ProfileData, signal: AbortSignal): Promise<LogoutResult> {
  return withProfileLock({ root: common.root, profile: common.profile, signal }, async () => {
    const data = readProfile(common.root, common.profile) ?? existing;
    const store = storeFor(data, options.store, common.appName, common.root);
    // An entry that cannot be read (a symlink planted in the file store's place, a
    // torn entry) cannot be revoked, but must still be deleted: logout always deletes.
    let unreadable: LoopauthError | undefined;
    const secrets = await readSecrets(store, common.profile).catch((e: unknown) => {
      unreadable = toLoopauthError(e, { doing: 'reading the secrets to revoke' });
      if (unreadable.code === 'keychain_unavailable') throw unreadable; // deleting would fail the same way
      return undefined;
    });
    if (!data.hasSession && !secrets && !unreadable) throw new LoopauthError('login_required', `profile ${common.profile} is already signed out`);
    // A session the store should hold but reads as empty: a locked keychain looks like
    // this, and deleting would "succeed" while the entry stays. Probe before saying gone.
    if (data.hasSession && !secrets && !unreadable) await store.check?.();
    const revokedToken = secrets?.refresh_token ? 'refresh_token' : secrets?.access_token ? 'access_token' : undefined;
    const token = revokedToken && secrets?.[revokedToken];
    let revocation: LogoutResult['revocation'] = 'skipped';
    let revocationError: LoopauthError | undefined;
    if (options.revoke !== false && unreadable) {
      revocation = 'failed';
      revocationError = unreadable;
    } else if (options.revoke !== false && token) {
      if (!data.server.revocation_endpoint) revocation = 'not_supported';
      else {
        try {
          const as = serverOf(data.server);
          const http = { signal, ...(common.fetch ? { fetch: common.fetch } : {}), ...(common.debug ? { debug: common.debug } : {}) };
          const response = await oauth.revocationRequest(as, oauthClient(data.clientId), clientAuth(data.authMethod, secrets?.client_secret), token, httpOptions(http));
          await oauth.processRevocationResponse(response);
          revocation = 'revoked';
        } catch (e) {
          revocation = 'failed';
          revocationError = toLoopauthError(e, { doing: 'revoking the refresh token', signal, redact: [token, secrets?.client_secret] });
        }
      }
    }
    const deleted = await store.delete(common.profile);
    const { version: _v, updatedAt: _u, subject: _s, ...rest } = data;
    await writeProfile(common.root, common.profile, { ...rest, hasSession: false });
    const sent = revokedToken && (revocation === 'revoked' || revocation === 'failed');
    return { profile: common.profile, revocation, ...(sent ? { revokedToken } : {}), ...(revocationError ? { revocationError } : {}), deleted };
  });
}
