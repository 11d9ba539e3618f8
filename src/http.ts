/**
 * How loopauth's HTTP requests reach the authorization server: one place for
 * the abort signal, an injectable `fetch`, a cap on response size, and
 * redacted debug lines.
 */
import * as oauth from 'oauth4webapi';
import { fetchOverNodeHttp, tooLargeResponse } from './node-http.js';
import { safeOrigin } from './urls.js';

/** Transport options shared by every request loopauth makes. */
export interface HttpOptions {
  /** Aborts every request (timeouts and cancellation come through here). */
  readonly signal?: AbortSignal;
  /** A `fetch` to use instead of the global one (tests, proxies, Electron's `net.fetch`). */
  readonly fetch?: typeof fetch;
  /** Receives redacted step-by-step lines when debugging is on. */
  readonly debug?: (line: string) => void;
}

/** Larger bodies than this are not read: metadata and token responses are small. */
const maxBodyBytes = 1024 * 1024;

/**
 * The one way loopauth reaches a server: the caller's or the proxy-aware
 * fetch, a redacted debug line per request, and a capped body (node-http.ts
 * caps while it reads; a fetch's body is capped here, read once more).
 */
export function serverFetch(options: HttpOptions): (url: string, init: RequestInit) => Promise<Response> {
  const callers = options.fetch;
  const doFetch = callers ? (url: string, init: RequestInit) => callers(url, init).then(capBody) : proxyAwareFetch;
  return async (url, init) => {
    const response = await doFetch(url, init);
    options.debug?.(`${init.method ?? 'GET'} ${safeOrigin(new URL(url))} → HTTP ${response.status}`);
    return response;
  };
}

/**
 * oauth4webapi request options for a URL that the caller has already checked
 * with `requireSecureUrl` (http is only ever allowed on loopback by then).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- one transport for every request body type
export function httpOptions(options: HttpOptions): oauth.HttpRequestOptions<'GET' | 'POST', any> & {
  [oauth.allowInsecureRequests]: boolean;
} {
  const send = serverFetch(options);
  return {
    ...(options.signal ? { signal: options.signal } : {}),
    [oauth.allowInsecureRequests]: true,
    [oauth.customFetch]: (url, init) => send(url, init as RequestInit),
  };
}

/** Refuses to buffer a body of megabytes: a hostile server should not make us. */
async function capBody(response: Response): Promise<Response> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBodyBytes) {
    await response.body?.cancel();
    return tooLargeResponse();
  }
  if (!response.body) return response;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBodyBytes) {
      await reader.cancel();
      return tooLargeResponse();
    }
    chunks.push(value);
  }
  const body = Buffer.concat(chunks);
  return new Response(response.status === 204 || response.status === 304 ? null : body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

const proxyVars = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];
let proxied: Promise<typeof fetch> | undefined;

/**
 * Without a proxy: node:http(s) (see node-http.ts for why not fetch).
 * Node's fetch ignores HTTPS_PROXY/NO_PROXY; corporate networks need them.
 * undici's EnvHttpProxyAgent reads them (loaded only when a proxy is set),
 * and loopback is never proxied: a local server is never behind the proxy.
 */
function proxyAwareFetch(input: string, init: RequestInit): Promise<Response> {
  if (!proxyVars.some((v) => process.env[v])) return fetchOverNodeHttp(input, init, { maxBodyBytes });
  proxied ??= import('undici').then(({ EnvHttpProxyAgent, fetch: undiciFetch }) => {
    const noProxy = [process.env.NO_PROXY ?? process.env.no_proxy, 'localhost', '127.0.0.1', '::1', '[::1]'].filter(Boolean).join(',');
    const dispatcher = new EnvHttpProxyAgent({ noProxy });
    return (url: string | URL | Request, opts?: RequestInit) =>
      undiciFetch(url as string, { ...(opts as object), dispatcher });
  });
  return proxied.then((f) => f(input, init)).then(capBody);
}
