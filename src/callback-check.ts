/**
 * What the loopback listener accepts as the authorization response, and what
 * it refuses before looking at the query: every local process and every web
 * page the person visits can send requests to its port (RFC 8252 §8.3,
 * §8.4), so only a top-level browser navigation to exactly the redirect URI
 * gets through.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Why a request was refused: the status and a sentence for the tab (never echoing the request). */
export interface Refusal {
  readonly status: number;
  readonly reason: string;
}

/**
 * Screens one request to the listener: its target, Host, method and the
 * browser's own signals of where it came from. Returns the URL to check
 * against the state, or the refusal.
 */
export function screenRequest(req: IncomingMessage, redirect: URL): URL | Refusal {
  // llhttp takes a request line without a version as HTTP/0.9; no browser sends one.
  if (req.httpVersionMajor !== 1) return { status: 400, reason: 'Bad request.' };
  const target = req.url ?? '';
  // Absolute-form targets ("GET http://evil/...") are a proxy's business, never a browser's.
  if (!target.startsWith('/') || target.startsWith('//')) return { status: 400, reason: 'Bad request target.' };
  // RFC 9112 §3.2: a request with more than one Host is invalid; a proxy and we might read different ones.
  if (req.rawHeaders.filter((_, i) => i % 2 === 0 && req.rawHeaders[i]!.toLowerCase() === 'host').length !== 1) {
    return { status: 400, reason: 'Exactly one Host header is required.' };
  }
  // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host.
  if ((req.headers.host ?? '').toLowerCase() !== redirect.host) return { status: 421, reason: 'Wrong host.' };
  // The raw path, not the parsed one: WHATWG URL parsing would turn /x/../callback
  // and /callback/. into /callback, and a browser never sends dot segments.
  const rawPath = target.split('?', 1)[0];
  if (rawPath !== redirect.pathname || target.includes('#')) return { status: 404, reason: 'Not found.' };
  if (req.method !== 'GET') return { status: 405, reason: 'Only GET is accepted here.' };
  const fromPage = crossSiteSubrequest(req);
  if (fromPage) return { status: 403, reason: fromPage };
  try {
    return new URL(target, redirect.origin);
  } catch {
    return { status: 400, reason: 'Bad request target.' };
  }
}

/**
 * The redirect from the authorization server is a top-level navigation: the
 * Fetch standard sends no `Origin` on a GET navigation, and browsers that
 * send Fetch Metadata (`Sec-Fetch-Site` on every request they make) mark it
 * `Sec-Fetch-Mode: navigate`, `Sec-Fetch-Dest: document`. A fetch(), an
 * <img>, a <script> or an <iframe> on some web page (another port of
 * 127.0.0.1 included: that is "same-site") is refused, whatever its query
 * says. Clients without Fetch Metadata (curl, Node's fetch, which sends
 * `Sec-Fetch-Mode` alone, older browsers) are judged by the state alone.
 * @see https://fetch.spec.whatwg.org/#origin-header
 * @see https://www.w3.org/TR/fetch-metadata/
 */
function crossSiteSubrequest(req: IncomingMessage): string | undefined {
  if (req.headers.origin !== undefined) return 'Requests from a web page are not accepted here.';
  if (req.headers['sec-fetch-site'] === undefined) return undefined;
  if (req.headers['sec-fetch-mode'] !== 'navigate') return 'Only a browser navigation is accepted here.';
  if (req.headers['sec-fetch-dest'] !== 'document') return 'Only a top-level browser navigation is accepted here.';
  return undefined;
}

/**
 * Checks a candidate callback URL (from the listener or pasted) against the
 * redirect URI and state. `ambiguous` is a response with the right state that
 * is still not one answer: a protocol parameter given twice, or neither (or
 * both) of `code` and `error`. It is refused rather than taken, so that a
 * malformed or smuggled response never ends the sign-in in place of the real one.
 */
export function checkCallbackUrl(url: URL, redirectUri: URL, expectedState: string): 'ok' | 'wrong_target' | 'bad_state' | 'ambiguous' {
  if (url.protocol !== redirectUri.protocol || url.host !== redirectUri.host || url.pathname !== redirectUri.pathname) {
    return 'wrong_target';
  }
  const params = url.searchParams;
  const states = params.getAll('state');
  if (states.length !== 1 || !sameString(states[0] ?? '', expectedState)) return 'bad_state';
  if (singleValued.some((name) => params.getAll(name).length > 1)) return 'ambiguous';
  if (params.has('code') === params.has('error')) return 'ambiguous';
  return 'ok';
}

// Authorization response parameters (RFC 6749 §4.1.2, RFC 9207) that may appear once at most.
const singleValued = ['code', 'error', 'error_description', 'error_uri', 'iss'];

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
