/**
 * The client as oauth4webapi sees it, and how it authenticates: PKCE always,
 * and a client secret (when there is one) by HTTP Basic unless the server
 * lists only `client_secret_post`.
 */
import * as oauth from 'oauth4webapi';
import type { ClientAuthMethod, ServerEndpoints } from './profiles.js';

/**
 * Picks the authentication method for a client secret.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1 (Basic is the one servers must support)
 */
export function chooseAuthMethod(clientSecret: string | undefined, supported: readonly string[] | undefined): ClientAuthMethod {
  if (!clientSecret) return 'none';
  if (supported?.includes('client_secret_post') && !supported.includes('client_secret_basic')) return 'client_secret_post';
  return 'client_secret_basic';
}

/** oauth4webapi's `ClientAuth` for a method; the same one serves exchange, refresh and revocation. */
export function clientAuth(method: ClientAuthMethod, clientSecret: string | undefined): oauth.ClientAuth {
  if (method === 'none' || !clientSecret) return oauth.None();
  return method === 'client_secret_post' ? oauth.ClientSecretPost(clientSecret) : oauth.ClientSecretBasic(clientSecret);
}

/** The oauth4webapi client object. */
export function oauthClient(clientId: string): oauth.Client {
  return { client_id: clientId };
}

/** The metadata a profile keeps, taken from discovery. */
export function endpointsOf(as: oauth.AuthorizationServer): ServerEndpoints {
  const pick = <K extends keyof ServerEndpoints>(k: K): Partial<ServerEndpoints> =>
    as[k as keyof oauth.AuthorizationServer] === undefined ? {} : { [k]: as[k as keyof oauth.AuthorizationServer] };
  return {
    issuer: as.issuer,
    token_endpoint: as.token_endpoint!,
    ...pick('authorization_endpoint'),
    ...pick('revocation_endpoint'),
    ...pick('device_authorization_endpoint'),
    ...pick('userinfo_endpoint'),
    ...pick('jwks_uri'),
    ...pick('token_endpoint_auth_methods_supported'),
    ...pick('revocation_endpoint_auth_methods_supported'),
    ...pick('id_token_signing_alg_values_supported'),
    ...pick('authorization_response_iss_parameter_supported'),
  };
}

/** Back from a profile's stored metadata to what oauth4webapi takes. */
export function serverOf(endpoints: ServerEndpoints): oauth.AuthorizationServer {
  return { ...endpoints };
}
