/**
 * Issuer → authorization server metadata, through oauth4webapi:
 * OpenID Connect Discovery 1.0 first, then RFC 8414.
 */
import * as oauth from 'oauth4webapi';
import { LoopauthError, toLoopauthError } from './errors.js';
import type { HttpOptions } from './http.js';
import { httpOptions } from './http.js';
import { requireBrowsableEndpoint, requireSecureUrl, safeOrigin } from './urls.js';

const endpointFields = [
  'authorization_endpoint',
  'token_endpoint',
  'revocation_endpoint',
  'device_authorization_endpoint',
  'registration_endpoint',
  'userinfo_endpoint',
  'jwks_uri',
] as const;

/**
 * Fetches and checks the server's metadata. Its `issuer` must equal the one
 * asked for (oauth4webapi checks), and every endpoint must be https unless
 * on loopback.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3
 */
export async function discover(issuer: URL, options: HttpOptions): Promise<oauth.AuthorizationServer> {
  requireSecureUrl(issuer, 'the issuer');
  let lastError: unknown;
  for (const algorithm of ['oidc', 'oauth2'] as const) {
    try {
      const response = await oauth.discoveryRequest(issuer, { ...httpOptions(options), algorithm });
      if (response.status === 404 && algorithm === 'oidc') {
        lastError = new LoopauthError('discovery_failed', 'no OpenID configuration');
        continue;
      }
      const as = await oauth.processDiscoveryResponse(issuer, response);
      checkEndpoints(as);
      options.debug?.(`discovery: ${algorithm} metadata from ${safeOrigin(issuer)} (HTTP ${response.status})`);
      return as;
    } catch (e) {
      if (e instanceof LoopauthError && e.code === 'insecure_url') throw e;
      lastError = e;
      if (options.signal?.aborted) break;
      // An issuer mismatch is an answer, not an absence: do not try the other path.
      if ((e as { code?: string }).code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') break;
    }
  }
  const mapped = toLoopauthError(lastError, { doing: 'discovering the server', signal: options.signal });
  if (mapped.code === 'timeout' || mapped.code === 'cancelled') throw mapped;
  const mismatch = (lastError as { code?: string })?.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED';
  throw new LoopauthError(
    'discovery_failed',
    mismatch
      ? `the server's metadata names a different issuer than ${safeOrigin(issuer)}`
      : `could not read the authorization server's metadata from ${safeOrigin(issuer)} (${mapped.message})`,
    mapped.cause ?? { code: mapped.code },
  );
}

function checkEndpoints(as: oauth.AuthorizationServer): void {
  for (const field of endpointFields) {
    const value = as[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new LoopauthError('discovery_failed', `the server's ${field} is not a URL`);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new LoopauthError('insecure_url', `the server's ${field} is not a valid URL`);
    }
    requireSecureUrl(url, `the server's ${field}`);
    // Refused before anything listens, prints or launches, not only at open time.
    if (field === 'authorization_endpoint') requireBrowsableEndpoint(value, `the server's ${field}`);
  }
  if (!as.authorization_endpoint && !as.device_authorization_endpoint) {
    throw new LoopauthError('discovery_failed', 'the server has no authorization_endpoint');
  }
  if (!as.token_endpoint) throw new LoopauthError('discovery_failed', 'the server has no token_endpoint');
}
