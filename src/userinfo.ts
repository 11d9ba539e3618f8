/**
 * getUserInfo(): the signed-in person's claims from the server's userinfo
 * endpoint (OpenID Connect Core §5.3), with the profile's access token, on
 * the server metadata saved at login (no discovery again).
 */
import * as oauth from 'oauth4webapi';
import { oauthClient, serverOf } from './client.js';
import { LoopauthError, toLoopauthError } from './errors.js';
import { httpOptions } from './http.js';
import { resolveProfileOptions } from './options.js';
import { withDeadline } from './signals.js';
import { getAccessToken, requireProfile } from './tokens.js';
import type { TokenOptions } from './tokens.js';

/** Options of {@link getUserInfo}: those of `getAccessToken` (the token it sends). */
export interface UserInfoOptions extends TokenOptions {
  /** Seconds the userinfo request may take (a refresh before it has its own `timeout`). @default 30 */
  readonly userInfoTimeout?: number;
}

/**
 * The userinfo claims of the profile's session. The access token comes from
 * {@link getAccessToken} (refreshed if needed) and never leaves this call; a
 * token the server refuses as `invalid_token` is refreshed once and tried again.
 * A response about another subject than the ID token's `sub` saved at login
 * is refused.
 *
 * @throws {LoopauthError} `login_required` without a usable session (also
 *   when a refused token cannot be renewed); `userinfo_unsupported` when the
 *   server has no userinfo endpoint; the server's `error` (`invalid_token`,
 *   ...) when it refuses even a freshly refreshed token;
 *   `invalid_response` when the answer is not about the signed-in subject.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1 (invalid_token)
 * @example
 * ```ts
 * const { name } = await getUserInfo({ store, appName: 'my-app' })
 * ```
 */
export async function getUserInfo(options: UserInfoOptions = {}): Promise<Readonly<Record<string, unknown>>> {
  const common = resolveProfileOptions(options);
  const seconds = options.userInfoTimeout ?? 30;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) throw new TypeError('userInfoTimeout must be a number of seconds > 0');
  const data = requireProfile(common.root, common.profile);
  if (!data.server.userinfo_endpoint) {
    throw new LoopauthError('userinfo_unsupported', `the authorization server of profile ${common.profile} has no userinfo endpoint`);
  }
  const as = serverOf(data.server);
  const client = oauthClient(data.clientId);
  const ask = async (forceRefresh: boolean): Promise<Readonly<Record<string, unknown>>> => {
    const { accessToken } = await getAccessToken({ ...options, forceRefresh });
    const deadline = withDeadline(common.signal, seconds);
    try {
      // The saved endpoint was checked (https, or http on loopback) when the profile was read.
      const response = await oauth.userInfoRequest(as, client, accessToken, httpOptions({ ...common, signal: deadline.signal }));
      const claims = await oauth.processUserInfoResponse(as, client, data.subject ?? oauth.skipSubjectCheck, response);
      return { ...claims };
    } catch (e) {
      throw userInfoError(e, deadline.signal, accessToken);
    } finally {
      deadline.clear();
    }
  };
  try {
    return await ask(options.forceRefresh === true);
  } catch (e) {
    // A token the server no longer takes (revoked before its expiry, RFC 6750 §3.1):
    // one refresh and one more try, as an app calling its API would do.
    if (!(e instanceof LoopauthError && e.code === 'invalid_token') || options.forceRefresh) throw e;
    return ask(true);
  }
}

function userInfoError(e: unknown, signal: AbortSignal, accessToken: string): LoopauthError {
  if (e instanceof oauth.WWWAuthenticateChallengeError) {
    // A refused token, not a refused client (which is what toLoopauthError assumes of a challenge).
    const error = e.cause.find((c) => c.parameters.error)?.parameters.error;
    const code = error && /^[a-z_]{1,40}$/.test(error) ? error : 'invalid_token';
    return new LoopauthError(code, `the server refused the access token at its userinfo endpoint (${code}): sign in again if it persists`, { status: e.status, error: code });
  }
  // A server may echo the token it was sent in its error_description.
  return toLoopauthError(e, { doing: 'reading userinfo', signal, redact: [accessToken] });
}
