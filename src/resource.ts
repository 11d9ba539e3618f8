/**
 * From a protected resource's URL to its authorization server (RFC 9728):
 * the `resource_metadata` of a 401's `WWW-Authenticate`, else the resource's
 * well-known metadata. The metadata's `resource` must equal the URL asked
 * for (oauth4webapi checks), and the resource is then asked for (RFC 8707).
 */
import * as oauth from 'oauth4webapi';
import { LoopauthError, toLoopauthError } from './errors.js';
import type { HttpOptions } from './http.js';
import { httpOptions, serverFetch } from './http.js';
import { requireSecureUrl, safeOrigin } from './urls.js';

/** What the resource's metadata says. */
export interface ResourceInfo {
  /** The resource identifier, to send as `resource`. */
  readonly resource: string;
  /** The authorization server to use (the first one listed). */
  readonly issuer: URL;
  /** Scopes the resource advertises, if any. */
  readonly scopes?: string[];
}

/**
 * Reads a protected resource's metadata.
 * @see https://www.rfc-editor.org/rfc/rfc9728
 */
export async function discoverResource(resourceUrl: URL, http: HttpOptions): Promise<ResourceInfo> {
  requireSecureUrl(resourceUrl, 'the resource URL');
  let meta: oauth.ResourceServer;
  try {
    const fromChallenge = await metadataUrlFromChallenge(resourceUrl, http);
    const response = fromChallenge
      ? await serverFetch(http)(fromChallenge.href, { headers: { accept: 'application/json' }, redirect: 'manual', ...(http.signal ? { signal: http.signal } : {}) })
      : await oauth.resourceDiscoveryRequest(resourceUrl, httpOptions(http));
    meta = await oauth.processResourceDiscoveryResponse(resourceUrl, response);
  } catch (e) {
    if (e instanceof LoopauthError && e.code === 'insecure_url') throw e;
    const mapped = toLoopauthError(e, { doing: 'reading the protected resource metadata', ...(http.signal ? { signal: http.signal } : {}) });
    if (mapped.code === 'timeout' || mapped.code === 'cancelled') throw mapped;
    const mismatch = (e as { code?: string }).code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED';
    throw new LoopauthError(
      'discovery_failed',
      mismatch
        ? `the protected resource metadata names a different resource than ${safeOrigin(resourceUrl)}`
        : `could not read the protected resource metadata of ${safeOrigin(resourceUrl)} (${mapped.message})`,
      mapped.cause,
    );
  }
  const servers = meta.authorization_servers;
  const first = Array.isArray(servers) ? servers.find((s): s is string => typeof s === 'string') : undefined;
  if (!first) throw new LoopauthError('discovery_failed', `the protected resource ${safeOrigin(resourceUrl)} names no authorization server`);
  let issuer: URL;
  try {
    issuer = new URL(first);
  } catch {
    throw new LoopauthError('discovery_failed', 'the protected resource names an authorization server that is not a URL');
  }
  requireSecureUrl(issuer, "the resource's authorization server");
  const scopes = Array.isArray(meta.scopes_supported) ? meta.scopes_supported.filter((s): s is string => typeof s === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)) : undefined;
  http.debug?.(`resource metadata: ${safeOrigin(resourceUrl)} → issuer ${safeOrigin(issuer)}`);
  return { resource: meta.resource, issuer, ...(scopes?.length ? { scopes } : {}) };
}

/** RFC 9728 §5.1: an unauthenticated request's 401 may point at the metadata. */
async function metadataUrlFromChallenge(resourceUrl: URL, http: HttpOptions): Promise<URL | undefined> {
  let response: Response;
  try {
    response = await serverFetch(http)(resourceUrl.href, { redirect: 'manual', ...(http.signal ? { signal: http.signal } : {}) });
    await response.body?.cancel();
  } catch (e) {
    if (http.signal?.aborted) throw e;
    return undefined; // the well-known path may still answer
  }
  if (response.status !== 401) return undefined;
  const header = response.headers.get('www-authenticate') ?? '';
  const m = /resource_metadata="([^"]{1,2048})"/i.exec(header);
  if (!m?.[1]) return undefined;
  let url: URL;
  try {
    url = new URL(m[1], resourceUrl);
  } catch {
    return undefined;
  }
  requireSecureUrl(url, 'the resource_metadata URL');
  return url;
}
