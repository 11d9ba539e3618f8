/**
 * Helpers for the hostile-callback suite: raw bytes to a listener port (what
 * any local process or web page can send), and a real sign-in in progress
 * (login() against the real oidc-provider, finished by real Chromium) that
 * the attacks are aimed at.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { expect } from 'vitest';
import { signInWithBrowser } from '../../helpers/browser.mjs';
import type { AuthServer } from '../../helpers/auth-server.mjs';
import { login } from '../../../src/index.js';
import type { Session } from '../../../src/index.js';
import { LoopbackListener } from '../../../src/listener.js';
import type { Callback, LoopbackListenerOptions } from '../../../src/listener.js';
import { successPage } from '../../../src/pages.js';

/** What came back on a raw socket: a parsed HTTP answer, or none (the server dropped the connection). */
export interface RawAnswer {
  /** The status code, or undefined when the socket closed without an HTTP answer. */
  readonly status: number | undefined;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Writes `bytes` on a plain TCP socket and reads until the server closes it.
 * A reset counts as a dropped connection; no close within `timeoutMs` fails.
 * With `halfClose`, FIN follows the bytes (the server then knows no more come).
 */
export function rawExchange(
  port: number,
  bytes: string | Buffer,
  { address = '127.0.0.1', timeoutMs = 5_000, halfClose = false } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    // halfClose: send FIN after the bytes, as a client that has nothing more to say.
    const socket = net.connect({ host: address, port }, () => (halfClose ? socket.end(bytes) : socket.write(bytes, () => undefined)));
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`the listener neither answered nor closed within ${timeoutMs} ms`));
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ECONNRESET' && e.code !== 'EPIPE') reject(e);
    });
    socket.on('close', () => resolve(parseAnswer(Buffer.concat(chunks).toString('latin1'))));
  });
}

function parseAnswer(text: string): RawAnswer {
  const match = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(text);
  if (!match) return { status: undefined, headers: {}, body: '' };
  const end = text.indexOf('\r\n\r\n');
  const head = text.slice(match[0].length, end < 0 ? undefined : end);
  const headers = Object.fromEntries(
    head.split('\r\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  const body = end < 0 ? '' : Buffer.from(text.slice(end + 4), 'latin1').toString('utf8');
  return { status: Number(match[1]), headers, body };
}

/** One HTTP/1.1 request as bytes; `headers` in order, `Host` first unless `host: null`. */
export function requestBytes(
  method: string,
  target: string,
  { host, headers = [] }: { host: string | null; headers?: readonly (readonly [string, string])[] },
): string {
  const lines = [`${method} ${target} HTTP/1.1`, ...(host === null ? [] : [`Host: ${host}`]), ...headers.map(([k, v]) => `${k}: ${v}`), 'Connection: close'];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** The refusal every attack must meet: a 4xx answer, or a connection closed without one (a request Node's parser rejects). */
export function expectRefused(answer: RawAnswer): void {
  if (answer.status !== undefined) expect(String(answer.status)).toMatch(/^4\d\d$/);
}

/** What CONTRACT.md promises a request that is not the callback: an answer, and a 4xx one (a dropped connection fails this). */
export function expect4xx(answer: RawAnswer): void {
  expect(String(answer.status)).toMatch(/^4\d\d$/);
}

/** A sign-in in progress: login() waiting on its loopback listener for the browser. */
export interface PendingSignIn {
  /** The authorization URL login() printed. */
  readonly url: string;
  /** Its redirect URI, e.g. http://127.0.0.1:51234/callback. */
  readonly redirect: URL;
  readonly port: number;
  /** The request's state (an attacker does not know it; a test plays one that does). */
  readonly state: string;
  /** Settles when login() does. */
  readonly session: Promise<Session>;
  /** Everything login() warned or logged. */
  readonly lines: string[];
  /** Fails the test unless login() is still waiting after a moment. */
  expectStillWaiting(): Promise<void>;
  /** Signs in with real Chromium, as the person would; resolves with the tab's status and login()'s session. */
  complete(): Promise<{ status: number; text: string; url: string; session: Session }>;
  /** Aborts the sign-in, as the app's AbortSignal would. */
  abort(): void;
  /** Aborts the sign-in (for afterEach) and removes its config folder. */
  dispose(): Promise<void>;
}

/**
 * Starts login() against `server` with a memory store, no browser launched,
 * and resolves once the authorization URL is out (the listener is up).
 */
export async function startSignIn(server: AuthServer, browser: Browser, extra: { redirectHost?: '127.0.0.1' | '[::1]' | 'localhost' } = {}): Promise<PendingSignIn> {
  const dir = await mkdtemp(path.join(tmpdir(), 'loopauth-hostile-'));
  const controller = new AbortController();
  const lines: string[] = [];
  let gotUrl!: (url: string) => void;
  const urlReady = new Promise<string>((r) => (gotUrl = r));
  const session = login({
    issuer: server.issuer,
    clientId: 'demo-cli',
    store: 'memory',
    openBrowser: false,
    timeout: 60,
    signal: controller.signal,
    env: { XDG_CONFIG_HOME: dir },
    onAuthorizationUrl: gotUrl,
    onWarning: (l) => lines.push(l),
    debug: (l) => lines.push(l),
    ...extra,
  });
  session.catch(() => undefined);
  const url = await Promise.race([urlReady, session.then(() => Promise.reject(new Error('login() ended before printing a URL')))]);
  const redirect = new URL(new URL(url).searchParams.get('redirect_uri')!);
  const state = new URL(url).searchParams.get('state')!;
  return {
    url,
    redirect,
    port: Number(redirect.port),
    state,
    session,
    lines,
    async expectStillWaiting() {
      const settled = session.then(() => 'resolved', (e: { code?: string }) => `rejected: ${e.code ?? 'no code'}`);
      expect(await Promise.race([settled, new Promise((r) => setTimeout(() => r('waiting'), 100))])).toBe('waiting');
    },
    async complete() {
      const page = await signInWithBrowser(browser, url);
      return { status: page.status, text: page.text, url: page.url, session: await session };
    },
    abort: () => controller.abort(),
    async dispose() {
      controller.abort();
      await session.catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The real callback finishes the sign-in: the tab says so and login()
 * resolves with the user. Returns the callback URL the browser reached.
 */
export async function expectRealCallbackCompletes(flow: PendingSignIn, server: AuthServer): Promise<string> {
  const { status, text, url, session } = await flow.complete();
  expect(status).toBe(200);
  expect(text).toMatch(/signed in/i);
  expect(session.subject).toBe(server.user.sub);
  return url;
}

/** A bare LoopbackListener waiting for its callback, for attacks that need no server. */
export interface ListenerUnderAttack {
  readonly listener: LoopbackListener;
  readonly state: string;
  readonly host: string;
  /** waitForCallback(), started before any attack. */
  readonly waiting: Promise<Callback>;
  /** Sends one request with the listener's own Host unless `host` says otherwise (null: none). */
  send(method: string, target: string, options?: { host?: string | null; headers?: readonly (readonly [string, string])[] }): Promise<RawAnswer>;
  /** Fails unless waitForCallback is still pending; then the real callback resolves it and gets its page. */
  expectStillWaitingThenReal(): Promise<void>;
}

/**
 * Starts a listener with a fresh high-entropy state, closed by
 * {@link closeListeners} unless `keep` (then the test closes it).
 */
export async function listenerUnderAttack(options: Partial<LoopbackListenerOptions> = {}, { keep = false } = {}): Promise<ListenerUnderAttack> {
  const state = randomBytes(24).toString('base64url');
  const listener = await LoopbackListener.listen({ expectedState: state, ...options });
  if (!keep) opened.push(listener);
  const host = new URL(listener.redirectUri).host;
  const waiting = listener.waitForCallback();
  waiting.catch(() => undefined);
  const send: ListenerUnderAttack['send'] = (method, target, o = {}) =>
    rawExchange(listener.port, requestBytes(method, target, { host: o.host === undefined ? host : o.host, headers: o.headers ?? [] }));
  return {
    listener,
    state,
    host,
    waiting,
    send,
    async expectStillWaitingThenReal() {
      const settled = waiting.then(() => 'resolved', () => 'rejected');
      expect(await Promise.race([settled, new Promise((r) => setTimeout(() => r('waiting'), 50))])).toBe('waiting');
      const tab = send('GET', `/callback?code=real&state=${state}`, { headers: browserNavigation });
      const callback = await waiting;
      expect(callback.url.searchParams.get('code')).toBe('real');
      await callback.respond(successPage('test'));
      expect((await tab).status).toBe(200);
    },
  };
}

/** The Fetch Metadata headers Chromium sends with the authorization server's redirect. */
export const browserNavigation: readonly (readonly [string, string])[] = [
  ['Sec-Fetch-Site', 'cross-site'],
  ['Sec-Fetch-Mode', 'navigate'],
  ['Sec-Fetch-Dest', 'document'],
  ['Sec-Fetch-User', '?1'],
];

const opened: LoopbackListener[] = [];

/** Closes every listener {@link listenerUnderAttack} started (for afterEach). */
export async function closeListeners(): Promise<void> {
  await Promise.all(opened.splice(0).map((l) => l.close()));
}

/** What an attack needs of its target: where it is and (for a test that plays an insider) the state. */
export type AttackTarget = Pick<ListenerUnderAttack, 'state' | 'host' | 'send'> & { readonly listener: { readonly port: number } };

/** A real sign-in in progress as the target of the same attacks as a bare listener. */
export function attackTargetOf(flow: PendingSignIn): AttackTarget {
  const host = flow.redirect.host;
  return {
    state: flow.state,
    host,
    listener: { port: flow.port },
    send: (method, target, o = {}) => rawExchange(flow.port, requestBytes(method, target, { host: o.host === undefined ? host : o.host, headers: o.headers ?? [] })),
  };
}
