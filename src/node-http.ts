/**
 * A `fetch` over node:http and node:https, for loopauth's own requests when
 * no proxy is set and the caller gave no `fetch`.
 *
 * Why not the global fetch: on Node 20 and 24 the first fetch() starts undici
 * and compiles its WebAssembly HTTP parser, which costs more CPU than the
 * rest of `loopauth login` until the URL is printed, and V8's compile
 * threads then hold up the process's exit after the code exchange (see
 * bench/, figures 3 and 4). node:http parses with the llhttp built into
 * Node. Libraries that wrap node:http (node-fetch, minipass-fetch) return
 * their own Response class, and oauth4webapi requires a WHATWG `Response`,
 * so this is the small adapter between the two.
 *
 * What callers may rely on: redirects are never followed (every request
 * loopauth makes says `redirect: 'manual'`), the body is read whole, at most
 * `maxBodyBytes` of it (a larger one is answered as a 502), a compressed body
 * is decoded as fetch would, aborting `signal` rejects with its reason, and a
 * transport failure rejects with `TypeError('fetch failed', { cause })`
 * carrying Node's error code, as undici's fetch does.
 */
import type http from 'node:http';
import { pipeline } from 'node:stream'; // already loaded: node:net is built on it
import type { Readable } from 'node:stream';
import type zlib from 'node:zlib';
import { requireModule } from './require.js';

/** Options of {@link fetchOverNodeHttp} beyond fetch's own. */
export interface NodeHttpOptions {
  /** Bodies larger than this (after decoding) are not read; the answer becomes a 502. */
  readonly maxBodyBytes: number;
}

// Loaded when first needed: an http issuer needs no TLS, and servers rarely compress unasked.
const clients = {
  'http:': () => requireModule('node:http') as typeof http,
  'https:': () => requireModule('node:https') as typeof http,
};
const zlibModule = () => requireModule('node:zlib') as typeof zlib;
const decoders: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: () => zlibModule().createGunzip(),
  'x-gzip': () => zlibModule().createGunzip(),
  deflate: () => zlibModule().createInflate(),
  br: () => zlibModule().createBrotliDecompress(),
};

/** The answer to a body over the limit, whichever transport read it. */
export function tooLargeResponse(): Response {
  return new Response(null, { status: 502, statusText: 'response too large' });
}

/** A transport failure as undici's fetch reports it; errors.ts reads Node's code from `cause`. */
const fetchFailed = (cause: unknown): TypeError => new TypeError('fetch failed', { cause });

/** `fetch(url, init)` for http: and https: URLs, with the differences listed above. */
export function fetchOverNodeHttp(url: string, init: RequestInit, options: NodeHttpOptions): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const { signal } = init;
    if (signal?.aborted) return reject(signal.reason as Error); // as fetch does: the reason itself
    const target = new URL(url);
    const client = Object.hasOwn(clients, target.protocol) ? clients[target.protocol as keyof typeof clients]() : undefined;
    if (!client) return reject(fetchFailed(new Error(`unsupported protocol ${target.protocol}`)));
    const { headers, body } = requestParts(init);
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      req.destroy();
      reject(error);
    };
    const onAbort = () => fail(signal!.reason as Error);
    let answer: http.IncomingMessage | undefined;
    const req = client.request(target, { method: init.method ?? 'GET', headers });
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => {
      // Bytes after a complete answer (a body on a 204 or 304) break the socket, not this answer: fetch keeps it too.
      if (answer?.complete) return;
      fail(fetchFailed(error));
    });
    // A 101 we never asked for: not an HTTP answer we can read.
    req.once('upgrade', (_res, socket) => { socket.destroy(); fail(fetchFailed(new Error('unexpected protocol upgrade'))); });
    req.once('response', (res) => {
      answer = res;
      readBody(res, options.maxBodyBytes, (error, bytes) => {
        if (settled) return;
        if (error) return fail(fetchFailed(error));
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        try {
          resolve(toResponse(res, bytes));
        } catch (cause) {
          // e.g. a status outside 200-599, which a Response cannot have
          reject(fetchFailed(cause));
        }
      });
    });
    req.end(body);
  });
}

function requestParts(init: RequestInit): { headers: Record<string, string>; body: Buffer | undefined } {
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => { headers[name] = value; });
  const raw = init.body;
  let body: Buffer | undefined;
  if (raw === undefined || raw === null) body = undefined;
  else if (typeof raw === 'string') body = Buffer.from(raw);
  else if (raw instanceof URLSearchParams) {
    body = Buffer.from(raw.toString());
    headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
  } else if (raw instanceof Uint8Array) body = Buffer.from(raw);
  else throw new TypeError('unsupported request body');
  if (body) headers['content-length'] = String(body.length);
  return { headers, body };
}

/**
 * The whole body, decoded; `null` bytes when it was over the limit. The
 * limit counts decoded bytes, so a small compressed body cannot expand into
 * gigabytes here.
 */
function readBody(res: http.IncomingMessage, max: number, done: (error: Error | undefined, bytes: Buffer | null) => void): void {
  if (Number(res.headers['content-length'] ?? 0) > max) {
    // Declared too large: not worth waiting for, let alone buffering.
    res.destroy();
    return done(undefined, null);
  }
  const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder = decoders[encoding]?.();
  const stream: Readable = decoder ? (pipeline(res, decoder, () => { /* errors arrive on the decoder */ }) as unknown as Readable) : res;
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (error: Error | undefined, bytes: Buffer | null) => {
    if (finished) return;
    finished = true;
    done(error, bytes);
  };
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= max) return void chunks.push(chunk);
    finish(undefined, null);
    res.destroy();
    stream.destroy();
  });
  stream.once('error', (error) => finish(error, null));
  stream.once('end', () => finish(undefined, Buffer.concat(chunks)));
  // Node's code for it, so errors.ts can name the reason (fetch's cause has UND_ERR_SOCKET here).
  res.once('aborted', () => finish(Object.assign(new Error('the connection closed before the body ended'), { code: 'ECONNRESET' }), null));
}

function toResponse(res: http.IncomingMessage, bytes: Buffer | null): Response {
  if (bytes === null) return tooLargeResponse();
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  const status = res.statusCode ?? 0;
  // No statusText: nothing reads it, and a hostile reason phrase would make the Response constructor throw.
  // A Response with one of these statuses cannot have a body, not even an empty one.
  return new Response(status === 204 || status === 205 || status === 304 ? null : bytes, { status, headers });
}
