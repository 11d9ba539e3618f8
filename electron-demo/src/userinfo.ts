/**
 * "Call the API": the demo server's userinfo endpoint (OIDC Core §5.3),
 * fetched in the main process with the access token, which stays here.
 * oauth4webapi does the request and checks that `sub` is the signed-in one.
 */
import * as oauth from 'oauth4webapi';

/** Whether a URL is http on a loopback host, which loopauth allows too (RFC 8252 §8.3). */
function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost');
}

/** Server metadata, discovered once per issuer. */
const discovered = new Map<string, Promise<oauth.AuthorizationServer>>();

async function serverOf(issuer: string, signal?: AbortSignal): Promise<oauth.AuthorizationServer> {
  let as = discovered.get(issuer);
  if (!as) {
    const url = new URL(issuer);
    as = oauth
      .discoveryRequest(url, { [oauth.allowInsecureRequests]: isLoopbackHttp(url), ...(signal ? { signal } : {}) })
      .then((response) => oauth.processDiscoveryResponse(url, response));
    as.catch(() => discovered.delete(issuer));
    discovered.set(issuer, as);
  }
  return as;
}

/**
 * The userinfo claims for `accessToken`.
 * @param subject  the session's subject; a response about anyone else is refused
 */
export async function fetchUserInfo(
  options: { issuer: string; clientId: string; accessToken: string; subject?: string; signal?: AbortSignal },
): Promise<Readonly<Record<string, unknown>>> {
  const as = await serverOf(options.issuer, options.signal);
  const client: oauth.Client = { client_id: options.clientId };
  // Judged on the endpoint the token goes to, not on the issuer: oauth4webapi then
  // refuses a plain-http userinfo_endpoint anywhere but on loopback.
  const insecure = as.userinfo_endpoint !== undefined && isLoopbackHttp(new URL(as.userinfo_endpoint));
  const response = await oauth.userInfoRequest(as, client, options.accessToken, {
    [oauth.allowInsecureRequests]: insecure,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const claims = await oauth.processUserInfoResponse(as, client, options.subject ?? oauth.skipSubjectCheck, response);
  return { ...claims };
}
