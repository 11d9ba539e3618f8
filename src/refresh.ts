/**
 * The refresh: under the profile's lock, read the store again (another
 * process may have refreshed already), spend the refresh token once, and
 * save the rotated one before anything is handed out.
 */
import * as oauth from 'oauth4webapi';
import { clientAuth, oauthClient, serverOf } from './client.js';
import { LoopauthError, toLoopauthError } from './errors.js';
import { resourceParams, toSecrets } from './exchange.js';
import { httpOptions } from './http.js';
import { withProfileLock } from './lock.js';
import type { ResolvedProfileOptions } from './options.js';
import type { ProfileData } from './profiles.js';
import { writeProfile } from './profiles.js';
import type { SessionSecrets } from './secrets.js';
import { nowSeconds, writeSecrets } from './secrets.js';
import type { SecretStore } from './store/types.js';
import { isFresh, requireProfile, requireSecrets } from './tokens.js';
import { abortError, withDeadline } from './signals.js';

/** What {@link refreshSession} needs. */
export interface RefreshOptions extends ResolvedProfileOptions {
  readonly store: SecretStore;
  readonly minTtl: number;
  readonly force: boolean;
  readonly timeout: number;
  /** The access token seen before taking the lock. */
  readonly seen?: string;
}

/** Test-only fault injection around the store write (crash-safety tests). */
let faultHook: ((step: 'before_request' | 'after_response' | 'after_write') => void | Promise<void>) | undefined;

/** @internal */
export function setRefreshFaultHook(hook: typeof faultHook): void {
  faultHook = hook;
}

// Crash-safety tests kill a real `loopauth token` at a chosen step of the refresh;
// the variable's name says what it is, and nothing else reads it.
const killAt = process.env.LOOPAUTH_TEST_FAULT_KILL_AT;
if (killAt) faultHook = (step) => void (step === killAt && process.kill(process.pid, 'SIGKILL'));

/** Refreshes the profile's access token unless another process just did. */
export async function refreshSession(o: RefreshOptions): Promise<{ data: ProfileData; secrets: SessionSecrets }> {
  const deadline = withDeadline(o.signal, o.timeout);
  try {
    return await lockedRefresh(o, deadline.signal);
  } finally {
    deadline.clear();
  }
}

async function lockedRefresh(o: RefreshOptions, signal: AbortSignal): Promise<{ data: ProfileData; secrets: SessionSecrets }> {
  return withProfileLock({ root: o.root, profile: o.profile, signal, waitMs: o.timeout * 1000 }, async () => {
    const data = requireProfile(o.root, o.profile);
    const secrets = await requireSecrets(o.store, o.profile, data);
    if (!o.force && isFresh(secrets, o.minTtl)) return { data, secrets };
    // Another process refreshed while we waited for the lock: its token is as fresh as
    // ours would be (even if under minTtl), and a second refresh would only spend a grant.
    if (!o.force && o.seen !== undefined && secrets.access_token !== o.seen && isFresh(secrets, 0)) return { data, secrets };
    if (!secrets.refresh_token) {
      if (secrets.access_token && (secrets.expires_at ?? 0) > nowSeconds()) return { data, secrets };
      throw new LoopauthError('login_required', `the access token of profile ${o.profile} has expired and there is no refresh token: run loopauth login`);
    }
    const spent = secrets.refresh_token;
    let result: oauth.TokenEndpointResponse;
    // Once sent, the refresh is not abandoned on cancel (Ctrl-C): a server that
    // rotates has already spent the old token, and dropping its answer would
    // lose the new one and log the person out at the next refresh (reuse
    // detection). Only the deadline cuts the request short; a cancel is
    // honoured once the answer is saved.
    const request = withDeadline(undefined, o.timeout);
    if (signal.aborted) throw abortError(signal, 'the refresh', o.timeout);
    try {
      await faultHook?.('before_request');
      result = await requestRefresh(o, data, secrets, request.signal);
      await faultHook?.('after_response');
    } catch (e) {
      const err = toLoopauthError(e, { doing: 'refreshing the access token', signal: request.signal, redact: [spent, secrets.client_secret] });
      if (err.code !== 'invalid_grant') throw err;
      return onInvalidGrant(o, data, spent, err);
    } finally {
      request.clear();
    }
    const next = await keepRotatedOnRefusal(o, secrets, spent, result);
    try {
      await writeSecrets(o.store, o.profile, next);
    } catch (e) {
      const code = e instanceof LoopauthError ? e.code : 'store_failed';
      throw new LoopauthError(
        code,
        `the server issued new tokens but they could not be saved (${e instanceof Error ? e.message : 'store error'}); ` +
          'if the server rotates refresh tokens, run loopauth login',
      );
    }
    await faultHook?.('after_write');
    if (signal.aborted) throw abortError(signal, 'the refresh', o.timeout);
    o.debug?.(`refreshed: new access token saved${next.refresh_token !== spent ? ' with a rotated refresh token' : ''}`);
    return { data, secrets: next };
  });
}

function requestRefresh(o: RefreshOptions, data: ProfileData, secrets: SessionSecrets, signal: AbortSignal): Promise<oauth.TokenEndpointResponse> {
  const as = serverOf(data.server);
  const client = oauthClient(data.clientId);
  const http = { signal, ...(o.fetch ? { fetch: o.fetch } : {}), ...(o.debug ? { debug: o.debug } : {}) };
  return oauth
    .refreshTokenGrantRequest(as, client, clientAuth(data.authMethod, secrets.client_secret), secrets.refresh_token!, {
      ...httpOptions(http),
      ...(data.resource?.length ? { additionalParameters: resourceParams(data.resource) } : {}),
    })
    // No ID-token signature check here (login() does one): it would need the JWKS, and a
    // JWKS fetch failing after the server rotated the refresh token would lose the new one.
    .then((response) => oauth.processRefreshTokenResponse(as, client, response));
}

/**
 * toSecrets refuses an unusable access token (not Bearer, bad characters); if
 * the same answer rotated the refresh token, the new one is saved before the
 * refusal, or the next refresh would spend the dead one and a server with
 * reuse detection would end the grant.
 */
async function keepRotatedOnRefusal(o: RefreshOptions, secrets: SessionSecrets, spent: string, result: oauth.TokenEndpointResponse): Promise<SessionSecrets> {
  try {
    return toSecrets(result, secrets);
  } catch (e) {
    const rotated = typeof result.refresh_token === 'string' && result.refresh_token !== '' && result.refresh_token !== spent ? result.refresh_token : undefined;
    if (rotated) await writeSecrets(o.store, o.profile, { ...secrets, refresh_token: rotated, expires_at: 0 }).catch(() => undefined);
    throw e;
  }
}

/**
 * `invalid_grant`: if the stored refresh token is no longer the one spent,
 * someone else refreshed (and we must not log out); only a refused current
 * token ends the session.
 */
async function onInvalidGrant(o: RefreshOptions, data: ProfileData, spent: string, err: LoopauthError): Promise<{ data: ProfileData; secrets: SessionSecrets }> {
  const now = await requireSecrets(o.store, o.profile, data).catch(() => undefined);
  if (now?.refresh_token && now.refresh_token !== spent) {
    if (isFresh(now, 0)) return { data, secrets: now };
    throw new LoopauthError('server_error', 'the refresh token changed while refreshing; try again');
  }
  await o.store.delete(o.profile);
  await writeProfile(o.root, o.profile, { ...stripMeta(data), hasSession: false });
  throw new LoopauthError('login_required', `the server refused the refresh token of profile ${o.profile} (invalid_grant): run loopauth login`, err.cause);
}

function stripMeta(data: ProfileData): Omit<ProfileData, 'version' | 'updatedAt'> {
  const { version: _v, updatedAt: _u, ...rest } = data;
  return rest;
}
