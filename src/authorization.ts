/**
 * The authorization request: a fresh PKCE verifier (S256), state and nonce
 * for every attempt, from oauth4webapi's generators, kept in memory only.
 */
import * as oauth from 'oauth4webapi';
import type { AuthorizationServer } from 'oauth4webapi';
import { LoopauthError } from './errors.js';

/** The values that bind one authorization request to its response. Secret: never logged. */
export interface AuthorizationRequest {
  readonly url: string;
  readonly state: string;
  readonly codeVerifier: string;
  readonly nonce?: string;
}

/** Parameters of {@link buildAuthorizationRequest}. */
export interface AuthorizationParams {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly resource?: readonly string[];
  readonly extraParams?: Readonly<Record<string, string>>;
}

/**
 * Builds the authorization URL on the server's `authorization_endpoint`.
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4
 */
export async function buildAuthorizationRequest(as: AuthorizationServer, params: AuthorizationParams, state = oauth.generateRandomState()): Promise<AuthorizationRequest> {
  if (!as.authorization_endpoint) throw new LoopauthError('discovery_failed', 'the server has no authorization_endpoint');
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const url = new URL(as.authorization_endpoint);
  const q = url.searchParams;
  for (const [k, v] of Object.entries(params.extraParams ?? {})) q.set(k, v);
  q.set('response_type', 'code');
  q.set('client_id', params.clientId);
  q.set('redirect_uri', params.redirectUri);
  q.set('scope', params.scopes.join(' '));
  q.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  q.set('code_challenge_method', 'S256');
  q.set('state', state);
  let nonce: string | undefined;
  if (params.scopes.includes('openid')) {
    nonce = oauth.generateRandomNonce();
    q.set('nonce', nonce);
  }
  q.delete('resource');
  for (const r of params.resource ?? []) q.append('resource', r);
  return { url: url.href, state, codeVerifier, ...(nonce ? { nonce } : {}) };
}
