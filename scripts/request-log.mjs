// What the test auth server records of each request (parameter names, and
// values except secrets), and how it hands a body it has already read on to
// oidc-provider.
import { PassThrough } from 'node:stream';

// Values never written to the request log (their presence is).
const SECRET_PARAMS = new Set([
  'code', 'code_verifier', 'refresh_token', 'client_secret', 'password', 'token',
  'access_token', 'id_token', 'id_token_hint', 'client_assertion', 'device_code',
  'assertion', 'subject_token', 'actor_token', 'registration_access_token',
]);

/** @typedef {{ method: string, path: string, grantType?: string, clientId?: string, params: Record<string, unknown>, authorization: string | null, time: number, status?: number, ms?: number, faulted?: boolean }} LoggedRequest */

/** @param {Record<string, unknown>} raw */
export function redact(raw) {
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, SECRET_PARAMS.has(k) ? '<redacted>' : v]));
}

/** URLSearchParams to an object; repeated names (resource) become arrays. */
export function toObject(/** @type {URLSearchParams} */ search) {
  const out = {};
  for (const key of new Set(search.keys())) {
    const all = search.getAll(key);
    out[key] = all.length > 1 ? all : all[0];
  }
  return out;
}

/** Client id from HTTP Basic client authentication (RFC 6749 §2.3.1), if any. */
export function basicClientId(/** @type {string | undefined} */ header) {
  const m = /^Basic\s+(\S+)/i.exec(header ?? '');
  if (!m) return undefined;
  try {
    const user = Buffer.from(m[1], 'base64').toString('utf8').split(':')[0];
    return decodeURIComponent(user.replace(/\+/g, ' '));
  } catch { return undefined; }
}

/**
 * A stand-in for an IncomingMessage whose body we have already read, so that
 * oidc-provider can read it again (it warns about pre-parsed bodies).
 */
export function replayRequest(/** @type {import('node:http').IncomingMessage} */ req, /** @type {Buffer} */ body) {
  const copy = Object.assign(new PassThrough(), {
    headers: { ...req.headers, 'content-length': String(body.length) },
    rawHeaders: req.rawHeaders, method: req.method, url: req.url, socket: req.socket,
    connection: req.socket, httpVersion: req.httpVersion, httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor, complete: true, aborted: false,
  });
  copy.end(body);
  return copy;
}

/** The whole body (up to 1 MiB). */
export async function readBody(/** @type {import('node:http').IncomingMessage} */ req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 1 << 20) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
