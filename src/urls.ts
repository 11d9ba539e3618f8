/**
 * Which URLs loopauth will talk to or hand to a browser.
 *
 * Judged from the URL's text only, never by DNS: a name that resolves to
 * 127.0.0.1 today can resolve elsewhere tomorrow.
 */
import { LoopauthError } from './errors.js';

/** True for 127.0.0.0/8, [::1] and `localhost`. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  if (h === 'localhost' || h === '[::1]' || h === '::1') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return m !== null && m.slice(1).every((n) => Number(n) <= 255);
}

/** Parses `value` as an absolute URL or throws `insecure_url`/`usage`-style errors. */
export function parseUrl(value: string | URL, what: string): URL {
  if (value instanceof URL) return new URL(value.href);
  try {
    return new URL(value);
  } catch {
    throw new LoopauthError('invalid_url', `${what} is not a valid URL`);
  }
}

/**
 * RFC 8252 §8.1 and RFC 8414 §2: servers are reached over https; plain http
 * is only acceptable on the loopback interface, where nothing is on a wire.
 *
 * @returns whether the URL needs oauth4webapi's `allowInsecureRequests`
 */
export function requireSecureUrl(url: URL, what: string): boolean {
  if (url.protocol === 'https:') return false;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return true;
  throw new LoopauthError(
    'insecure_url',
    `${what} must use https (plain http is accepted only on loopback hosts): ${safeOrigin(url)}`,
  );
}

/** Only http(s) URLs are ever handed to a browser (CVE-2025-6514). */
export function requireBrowsableUrl(url: URL): void {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new LoopauthError('insecure_url', `refusing to open a ${url.protocol.replace(/[^a-z0-9+.-]/gi, '')} URL in a browser`);
  }
  // Anything a shell or a browser's command line might read as more than a URL.
  if (unsafeForCommandLine.test(url.href)) {
    throw new LoopauthError('insecure_url', 'refusing to open a URL with unsafe characters in a browser');
  }
}

/**
 * Characters that a shell (`$(...)`, backticks, `;`, `|`), cmd.exe (`^`) or
 * a browser's command line could read as more than a URL. loopauth's own
 * query parameters are percent-encoded and never contain them; `&` stays
 * allowed, as the query separator.
 */
// eslint-disable-next-line no-control-regex
const unsafeForCommandLine = /[\s\u0000-\u001f\u007f"'`\\<>{}|^$;()]/;

/**
 * Checks an endpoint that will be handed to a browser (the authorization
 * endpoint), on the server's own text: the URL parser would percent-encode
 * a backtick or a space and hide what the server tried (CVE-2025-6514).
 */
export function requireBrowsableEndpoint(text: string, what: string): void {
  if (unsafeForCommandLine.test(text)) {
    throw new LoopauthError('insecure_url', `${what} has characters a shell or a browser's command line could misread; refusing it`);
  }
  requireBrowsableUrl(new URL(text));
}

/** The origin and path of a URL, for messages: never its query or fragment. */
export function safeOrigin(url: URL): string {
  return url.protocol === 'http:' || url.protocol === 'https:'
    ? `${url.origin}${url.pathname}`.slice(0, 200)
    : `${url.protocol}…`;
}
