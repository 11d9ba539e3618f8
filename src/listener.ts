/**
 * The loopback listener of RFC 8252 §7.3: an HTTP server on the loopback
 * interface only, that waits for one authorization response and trusts
 * nothing else that reaches it (every local process and every web page the
 * person visits can reach this port while the sign-in is under way).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { LoopauthError } from './errors.js';
import { checkCallbackUrl, screenRequest } from './callback-check.js';
import { errorPage, pageHeaders, rejectPage } from './pages.js';
import type { Page } from './pages.js';

export { checkCallbackUrl } from './callback-check.js';

/** The loopback hosts a redirect URI may name. */
export type RedirectHost = '127.0.0.1' | '[::1]' | 'localhost';

/** Options of {@link LoopbackListener.listen}. */
export interface LoopbackListenerOptions {
  /** The `state` sent in the authorization request; callbacks without it are refused. */
  readonly expectedState: string;
  /**
   * Host of the redirect URI, and the only address listened on.
   * `localhost` listens on both 127.0.0.1 and ::1 with one port.
   * @default '127.0.0.1'
   */
  readonly host?: RedirectHost;
  /**
   * A fixed port, or preferred ports tried in order. A busy port fails with
   * `port_in_use`. @default 0 (an ephemeral port chosen by the OS)
   */
  readonly port?: number | readonly number[];
  /** Path of the redirect URI. @default '/callback' */
  readonly path?: string;
}

/** An authorization response that carried the expected `state`. */
export interface Callback {
  /** The full callback URL, query included. Treat as secret: it holds the code. */
  readonly url: URL;
  /** Answers the waiting browser tab; resolves once the answer is sent. */
  respond(page: Page): Promise<void>;
}

/**
 * Listens on the loopback address of a redirect URI for one authorization
 * response.
 *
 * Only a GET of exactly the redirect path (no dot segments, no fragment),
 * with one `Host` equal to the redirect URI's, not made by a web page
 * (`Origin`, or Fetch Metadata other than a top-level navigation), carrying
 * one `state` equal to the expected one and exactly one of `code` and
 * `error` resolves {@link LoopbackListener.waitForCallback}; every other
 * request gets a 4xx page that echoes nothing of it, and the listener keeps
 * waiting. Unfinished or silent connections are closed after 10 s.
 *
 * @example
 * ```ts
 * const listener = await LoopbackListener.listen({ expectedState: state })
 * // send the person to an authorization URL with redirect_uri = listener.redirectUri
 * const callback = await listener.waitForCallback()
 * // ... exchange callback.url's code ...
 * await callback.respond(successPage('my app'))
 * await listener.close()
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
export class LoopbackListener {
  /** `http://{host}:{port}{path}`, to send as `redirect_uri`. */
  readonly redirectUri: string;
  /** The port actually bound. */
  readonly port: number;
  readonly #servers: http.Server[];
  readonly #expectedState: string;
  readonly #redirect: URL;
  #accepted = false;
  #closed = false;
  #waiters: { resolve: (c: Callback) => void; reject: (e: unknown) => void }[] = [];
  #pending: Callback | undefined;
  #pendingResponse: http.ServerResponse | undefined;

  private constructor(servers: http.Server[], host: RedirectHost, port: number, path: string, state: string) {
    this.#servers = servers;
    this.port = port;
    this.redirectUri = `http://${host}:${port}${path}`;
    this.#redirect = new URL(this.redirectUri);
    this.#expectedState = state;
    for (const server of servers) server.on('request', (req, res) => this.#onRequest(req, res));
  }

  /** Binds the socket it keeps (port 0 or a fixed port: never probe-then-bind). */
  static async listen(options: LoopbackListenerOptions): Promise<LoopbackListener> {
    const host = options.host ?? '127.0.0.1';
    if (!['127.0.0.1', '[::1]', 'localhost'].includes(host)) {
      throw new TypeError(`host must be 127.0.0.1, [::1] or localhost, not ${JSON.stringify(host)}`);
    }
    const path = options.path ?? '/callback';
    if (!path.startsWith('/') || /[?#\s]/.test(path)) throw new TypeError('path must be an absolute path');
    if (typeof options.expectedState !== 'string' || options.expectedState.length < 16) {
      throw new TypeError('expectedState must be a high-entropy string');
    }
    const ports = portCandidates(options.port);
    const servers = await bindFirst(host, ports);
    const port = (servers[0]!.address() as AddressInfo).port;
    return new LoopbackListener(servers, host, port, path, options.expectedState);
  }

  /** Resolves with the first callback carrying the expected state. */
  waitForCallback(): Promise<Callback> {
    if (this.#closed) return Promise.reject(new LoopauthError('cancelled', 'the listener is closed'));
    if (this.#pending) return Promise.resolve(this.#pending);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Closes the port at once; a browser tab still waiting gets an error page. */
  async close(reason?: LoopauthError): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const err = reason ?? new LoopauthError('cancelled', 'the sign-in was stopped');
    for (const w of this.#waiters.splice(0)) w.reject(err);
    const res = this.#pendingResponse;
    if (res && !res.headersSent) sendPage(res, errorPage(err.code, err.message));
    await Promise.all(
      this.#servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }

  #onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.setHeader('Connection', 'close');
    const reject = (status: number, reason: string): void => sendPage(res, rejectPage(status, reason));
    if (this.#closed) return reject(410, 'This sign-in has ended.');
    const screened = screenRequest(req, this.#redirect);
    if (!(screened instanceof URL)) {
      if (screened.status === 405) res.setHeader('Allow', 'GET');
      return reject(screened.status, screened.reason);
    }
    const url = screened;
    const verdict = checkCallbackUrl(url, this.#redirect, this.#expectedState);
    if (verdict === 'ambiguous') return reject(400, 'This is not one complete sign-in response. Keep waiting for the real one.');
    if (verdict !== 'ok') {
      return reject(400, 'This response does not belong to the sign-in in progress. Keep waiting for the real one.');
    }
    if (this.#accepted) return reject(409, 'This sign-in has already received its response.');
    this.#accepted = true;
    this.#pendingResponse = res;
    let answered: Promise<void> | undefined;
    const callback: Callback = {
      url,
      respond: (page) => (answered ??= new Promise<void>((resolve) => {
        if (res.headersSent || res.destroyed) return resolve();
        res.once('close', () => resolve());
        sendPage(res, page);
      })),
    };
    this.#pending = callback;
    for (const w of this.#waiters.splice(0)) w.resolve(callback);
  }
}

function sendPage(res: http.ServerResponse, page: Page): void {
  if (res.headersSent) return;
  res.writeHead(page.status, pageHeaders);
  res.end(page.html);
}

function portCandidates(port: LoopbackListenerOptions['port']): number[] {
  const list = port === undefined ? [0] : typeof port === 'number' ? [port] : [...port];
  if (list.length === 0) throw new TypeError('port must not be an empty list');
  for (const p of list) {
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new TypeError(`port must be an integer from 0 to 65535, not ${String(p)}`);
  }
  return list;
}

async function bindFirst(host: RedirectHost, ports: number[]): Promise<http.Server[]> {
  if (ports.length > 1) {
    // get-port picks a free one among the preferred ports; we still bind it ourselves
    // and move on if another process takes it first.
    const { default: getPort, clearLockedPorts } = await import('get-port');
    const tried = new Set<number>();
    while (tried.size < ports.length) {
      const candidates = ports.filter((p) => !tried.has(p));
      // get-port keeps ports it returned "locked" in-process for 15 s; we bind them
      // ourselves, so a port that a closed listener just freed must be eligible again.
      clearLockedPorts();
      const chosen = await getPort({ port: candidates, host: host === '[::1]' ? '::1' : '127.0.0.1' });
      if (!candidates.includes(chosen)) break;
      tried.add(chosen);
      try {
        return await bindHost(host, chosen);
      } catch (e) {
        if (!(e instanceof LoopauthError && e.code === 'port_in_use')) throw e;
      }
    }
    throw new LoopauthError('port_in_use', `none of the ports ${ports.join(', ')} is free on ${host}`);
  }
  return bindHost(host, ports[0]!);
}

async function bindHost(host: RedirectHost, port: number): Promise<http.Server[]> {
  if (host !== 'localhost') return [await bind(host === '[::1]' ? '::1' : '127.0.0.1', port)];
  // localhost resolves to both stacks: listen on both, with one port, or not at all.
  for (let attempt = 0; attempt < 5; attempt++) {
    const v4 = await bind('127.0.0.1', port);
    const chosen = (v4.address() as AddressInfo).port;
    try {
      return [v4, await bind('::1', chosen)];
    } catch (e) {
      const code = (e as { cause?: { code?: string } }).cause?.code;
      if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT') return [v4]; // no IPv6 on this host
      v4.close();
      if (port !== 0) throw e;
    }
  }
  throw new LoopauthError('port_in_use', 'could not find one port free on both 127.0.0.1 and ::1 for localhost');
}

function bind(address: string, port: number): Promise<http.Server> {
  const server = http.createServer({
    // Bounded work per connection: a slow or huge request cannot hold the sign-in hostage.
    maxHeaderSize: 16 * 1024,
    headersTimeout: 10_000,
    requestTimeout: 15_000,
    // Node checks those two timeouts only this often (default 30 s, which let an
    // unfinished request hold its socket for 40 s).
    connectionsCheckingInterval: 1_000,
    keepAliveTimeout: 1_000,
  });
  server.maxHeadersCount = 100;
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const what = port === 0 ? `an ephemeral port on ${address}` : `port ${port} on ${address}`;
      const msg =
        e.code === 'EADDRINUSE'
          ? `port ${port} is already in use on ${address}; choose another with --port, or omit it for an ephemeral port`
          : e.code === 'EACCES'
            ? `not allowed to listen on ${what}`
            : `cannot listen on ${what} (${e.code ?? 'error'})`;
      reject(new LoopauthError('port_in_use', msg, { code: e.code ?? 'ERROR' }));
    });
    server.listen({ host: address, port, exclusive: true, ipv6Only: address === '::1' }, () => {
      server.removeAllListeners('error');
      server.on('error', () => undefined);
      server.on('clientError', (err: NodeJS.ErrnoException, socket) => answerRaw(socket, rawStatus[err.code ?? ''] ?? 400));
      // CONNECT never reaches the request handler: refused here, like any other method.
      server.on('connect', (_req, socket) => answerRaw(socket, 405));
      resolve(server);
    });
  });
}

/** Node's own codes for requests it could not finish parsing; anything else unparsable is a 400. */
const rawStatus: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/**
 * Answers a request that never became an `http.IncomingMessage` (a lowercase
 * method, a malformed line, headers too large, a timeout, CONNECT) with a
 * bare 4xx and closes: a client is told it was refused, not left to guess
 * from a dropped connection, and it gets no page from us.
 */
function answerRaw(socket: Duplex, status: number): void {
  if (!socket.writable || (socket as Duplex & { bytesWritten?: number }).bytesWritten !== 0) return void socket.destroy();
  // Closed once written; a peer that never reads does not keep it past a second.
  setTimeout(() => socket.destroy(), 1_000).unref();
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Refused'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
}

