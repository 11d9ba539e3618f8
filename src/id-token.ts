/**
 * The ID token's signature, checked against the server's published keys.
 *
 * oauth4webapi checks every claim (iss, aud, nonce, exp, ...) but leaves the
 * signature of an ID token from the token endpoint alone, as OpenID Connect
 * Core §3.1.3.7 allows when TLS vouches for the server. loopauth also talks
 * plain http to loopback servers, where nothing vouches, and hands the ID
 * token on (`token --id-token`, `--exec-credential`) to services that trust
 * it: so the signature is checked too, with oauth4webapi's own call.
 */
import * as oauth from 'oauth4webapi';
import { LoopauthError, toLoopauthError } from './errors.js';
import type { HttpOptions } from './http.js';
import { httpOptions } from './http.js';

/**
 * Verifies the signature of `result.id_token` (if any) with the keys at the
 * server's `jwks_uri`. Symmetric (HS*) ID tokens are left to the claim
 * checks: only the server and this client hold that key, and oauth4webapi
 * accepts them only when the server announces such an algorithm.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
 */
export async function checkIdTokenSignature(
  as: oauth.AuthorizationServer,
  response: Response,
  result: oauth.TokenEndpointResponse,
  http: HttpOptions,
): Promise<void> {
  if (typeof result.id_token !== 'string' || !as.jwks_uri) return;
  if (/^HS/.test(headerAlg(result.id_token))) return;
  try {
    await oauth.validateApplicationLevelSignature(as, response, httpOptions(http));
  } catch (e) {
    const mapped = toLoopauthError(e, { doing: "checking the ID token's signature", signal: http.signal });
    if (mapped.code !== 'invalid_response' && mapped.code !== 'internal_error') throw mapped;
    throw new LoopauthError('invalid_id_token', "the ID token's signature does not match the server's published keys", {
      ...(mapped.cause?.code ? { code: mapped.cause.code } : {}),
    });
  }
}

function headerAlg(jwt: string): string {
  try {
    const header = JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString('utf8')) as { alg?: unknown };
    return typeof header.alg === 'string' ? header.alg : '';
  } catch {
    return '';
  }
}
