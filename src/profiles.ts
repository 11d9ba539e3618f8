/**
 * Non-secret profile data (issuer, client id, scopes, subject, which store
 * holds the secrets) in `<config>/profiles/<name>.json`.
 *
 * Every file carries a format version; one written by a newer loopauth is
 * refused, never overwritten, and a corrupt one is named, never replaced.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { LoopauthError } from './errors.js';
import { writeFileAtomic } from './atomic.js';
import { requireSecureUrl } from './urls.js';

/** The profile format this version of loopauth reads and writes. */
export const profileVersion = 1;

/** The server metadata a profile keeps, so that a refresh needs no discovery. */
export interface ServerEndpoints {
  readonly issuer: string;
  readonly token_endpoint: string;
  readonly authorization_endpoint?: string;
  readonly revocation_endpoint?: string;
  readonly device_authorization_endpoint?: string;
  readonly userinfo_endpoint?: string;
  readonly jwks_uri?: string;
  readonly token_endpoint_auth_methods_supported?: string[];
  readonly revocation_endpoint_auth_methods_supported?: string[];
  readonly id_token_signing_alg_values_supported?: string[];
  readonly authorization_response_iss_parameter_supported?: boolean;
}

/** How the client authenticates at the token endpoint. */
export type ClientAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post';

/** What a profile file holds. Never a secret. */
export interface ProfileData {
  readonly version: number;
  readonly issuer: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly resource?: readonly string[];
  /** The protected resource URL the profile was signed in from (RFC 9728). */
  readonly resourceUrl?: string;
  readonly subject?: string;
  /** Which store holds this profile's secrets. */
  readonly store: string;
  /** Whether the store should hold a session (a locked keychain reads as empty). */
  readonly hasSession: boolean;
  readonly authMethod: ClientAuthMethod;
  readonly server: ServerEndpoints;
  readonly updatedAt: string;
  /** The client came from dynamic registration (RFC 7591). */
  readonly registered?: boolean;
}

function profilesDir(root: string): string {
  return path.join(root, 'profiles');
}

/** The file of a profile. */
export function profileFile(root: string, name: string): string {
  return path.join(profilesDir(root), `${name}.json`);
}

/**
 * Reads a profile; `undefined` when it does not exist. Synchronous on
 * purpose: it sits on `loopauth token`'s cache-hit path, one small file.
 */
export function readProfile(root: string, name: string): ProfileData | undefined {
  const file = profileFile(root, name);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new LoopauthError('profile_corrupt', `cannot read the profile file ${file} (${code ?? 'error'})`, { code: code ?? 'ERROR' });
  }
  return parseProfile(text, file);
}

function parseProfile(text: string, file: string): ProfileData {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new LoopauthError('profile_corrupt', `the profile file ${file} is not valid JSON; fix or remove it`);
  }
  const p = data as Partial<ProfileData> | null;
  if (!p || typeof p !== 'object' || typeof p.version !== 'number') {
    throw new LoopauthError('profile_corrupt', `the profile file ${file} has no format version; fix or remove it`);
  }
  if (p.version > profileVersion) {
    throw new LoopauthError(
      'profile_unsupported_version',
      `the profile file ${file} was written by a newer loopauth (format ${p.version}, this one reads ${profileVersion}); upgrade loopauth`,
    );
  }
  const valid =
    typeof p.issuer === 'string' &&
    typeof p.clientId === 'string' &&
    Array.isArray(p.scopes) &&
    typeof p.store === 'string' &&
    typeof p.hasSession === 'boolean' &&
    typeof p.server === 'object' &&
    p.server !== null &&
    typeof p.server.token_endpoint === 'string';
  if (!valid) throw new LoopauthError('profile_corrupt', `the profile file ${file} is incomplete; fix or remove it`);
  checkSavedEndpoints(p.server, file);
  return p as ProfileData;
}

/**
 * The saved endpoints are where refresh tokens and client secrets go: one
 * edited to plain http on another host (by hand, a dotfile sync, a tool)
 * must stop the refresh, not send the token in the clear. Checked as
 * discovery checked them, from the URL's text.
 */
function checkSavedEndpoints(server: Partial<ServerEndpoints>, file: string): void {
  for (const [field, value] of Object.entries(server)) {
    if (!field.endsWith('_endpoint') && field !== 'jwks_uri' && field !== 'issuer') continue;
    try {
      requireSecureUrl(new URL(String(value)), field);
    } catch {
      throw new LoopauthError('profile_corrupt', `the profile file ${file} names an insecure ${field}; run loopauth login again`);
    }
  }
}

/**
 * Writes a profile atomically. Refuses to overwrite a file that is corrupt or
 * of a newer format (reading it first throws).
 */
export async function writeProfile(root: string, name: string, data: Omit<ProfileData, 'version' | 'updatedAt'>): Promise<ProfileData> {
  readProfile(root, name);
  const full: ProfileData = { version: profileVersion, ...data, updatedAt: new Date().toISOString() };
  const dir = profilesDir(root);
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(profileFile(root, name), `${JSON.stringify(full, null, 2)}\n`, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LoopauthError('store_failed', `cannot write the profile ${profileFile(root, name)} (${code ?? 'error'})`, { code: code ?? 'ERROR' });
  }
  return full;
}

/** Deletes a profile file; `false` when there was none. */
export async function deleteProfile(root: string, name: string): Promise<boolean> {
  try {
    await fs.unlink(profileFile(root, name));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Names of the profiles under a config root, sorted. */
export async function listProfileNames(root: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(profilesDir(root));
    return entries.filter((f) => f.endsWith('.json') && !f.startsWith('.')).map((f) => f.slice(0, -5)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
