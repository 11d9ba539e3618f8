/**
 * Dynamic client registration (RFC 7591) of a native public client, once per
 * profile and server, kept as soon as it succeeds (even if the sign-in then
 * fails) so that it is reused rather than repeated.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import * as oauth from 'oauth4webapi';
import { writeFileAtomic } from './atomic.js';
import { LoopauthError, toLoopauthError } from './errors.js';
import type { HttpOptions } from './http.js';
import { httpOptions } from './http.js';

/** Registrations of one profile, by issuer. Client ids are not secrets. */
type Registrations = Record<string, { client_id: string; registered_at: string }>;

function file(root: string, profile: string): string {
  return path.join(root, 'registrations', `${profile}.json`);
}

function read(root: string, profile: string): Registrations {
  try {
    const data = JSON.parse(readFileSync(file(root, profile), 'utf8')) as unknown;
    return data && typeof data === 'object' ? (data as Registrations) : {};
  } catch {
    return {};
  }
}

/** The client id registered earlier for this profile and issuer, if any. */
export function registeredClientId(root: string, profile: string, issuer: string): string | undefined {
  const entry = read(root, profile)[issuer];
  return typeof entry?.client_id === 'string' ? entry.client_id : undefined;
}

/**
 * Registers loopauth as a native public client. Redirect URIs carry no port
 * (RFC 8252 §7.3), so that the ephemeral port never needs a new registration.
 */
export async function registerClient(as: oauth.AuthorizationServer, o: { root: string; profile: string; appName: string; http: HttpOptions }): Promise<string> {
  const grants = ['authorization_code', 'refresh_token'];
  if (as.grant_types_supported?.includes('urn:ietf:params:oauth:grant-type:device_code') || as.device_authorization_endpoint) {
    grants.push('urn:ietf:params:oauth:grant-type:device_code');
  }
  let client: Awaited<ReturnType<typeof oauth.processDynamicClientRegistrationResponse>>;
  try {
    const response = await oauth.dynamicClientRegistrationRequest(
      as,
      {
        client_name: o.appName,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: grants,
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback', 'http://[::1]/callback', 'http://localhost/callback'],
      },
      httpOptions(o.http),
    );
    client = await oauth.processDynamicClientRegistrationResponse(response);
  } catch (e) {
    throw toLoopauthError(e, { doing: 'registering the client', ...(o.http.signal ? { signal: o.http.signal } : {}) });
  }
  if (typeof client.client_id !== 'string' || client.client_id === '') throw new LoopauthError('invalid_response', 'the registration response has no client_id');
  const all = read(o.root, o.profile);
  all[as.issuer] = { client_id: client.client_id, registered_at: new Date().toISOString() };
  await fs.mkdir(path.dirname(file(o.root, o.profile)), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file(o.root, o.profile), `${JSON.stringify(all, null, 2)}\n`, 0o600);
  o.http.debug?.('registered a native public client (RFC 7591); it will be reused');
  return client.client_id;
}
