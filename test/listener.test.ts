import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { LoopauthError } from '../src/errors.js';
import { LoopbackListener } from '../src/listener.js';
import type { Callback, LoopbackListenerOptions, RedirectHost } from '../src/listener.js';
import { successPage } from '../src/pages.js';
import { portIsFree } from './support/system.js';

const state = randomBytes(24).toString('base64url');
const opened: LoopbackListener[] = [];
const servers: net.Server[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((l) => l.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function start(options: Partial<LoopbackListenerOptions> = {}): Promise<LoopbackListener> {
  const listener = await LoopbackListener.listen({ expectedState: state, ...options });
  opened.push(listener);
  return listener;
}

/** A port held by another socket for the rest of the test. */
async function occupiedPort(host = '127.0.0.1', port = 0): Promise<number> {
  const server = net.createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen({ host, port }, resolve));
  return (server.address() as net.AddressInfo).port;
}

/**
 * `count` distinct ports that were free a moment ago, below the ephemeral
 * range the OS numbers its own sockets from (32768 and up on Linux, 49152 on
 * others): an outgoing connection or a port-0 listener elsewhere on the
 * machine cannot take one between this check and the test's bind.
 */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!ports.includes(port) && (await portIsFree(port))) ports.push(port);
  }
  return ports;
}

const freePort = async (): Promise<number> => (await freePorts(1))[0]!;

type RawResponse = { status: number; headers: Record<string, string>; body: string };

/** Sends `request` byte for byte on a plain TCP socket and reads until the server closes. */
function rawRequest(port: number, request: string, address = '127.0.0.1'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: address, port }, () => socket.write(request));
    socket.setTimeout(3_000, () => socket.destroy(new Error('no answer within 3 s')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(parseResponse(Buffer.concat(chunks).toString('latin1'))));
  });
}

function parseResponse(text: string): RawResponse {
  const [head = '', rest = ''] = text.split(/\r\n\r\n(.*)/s);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const body = headers['transfer-encoding'] === 'chunked' ? dechunk(rest) : rest;
  return { status: Number(statusLine.split(' ')[1]), headers, body: Buffer.from(body, 'latin1').toString('utf8') };
}

/** Chunked transfer coding: "<hex size>\r\n<data>\r\n" until size 0. */
function dechunk(text: string): string {
  let out = '';
  for (let rest = text, size = parseInt(rest, 16); size > 0; size = parseInt(rest, 16)) {
    const start = rest.indexOf('\r\n') + 2;
    out += rest.slice(start, start + size);
    rest = rest.slice(start + size + 2);
  }
  return out;
}

/** A request to the listener's own host and port, as a browser on this machine would send it. */
function send(listener: LoopbackListener, target: string, { method = 'GET', host = new URL(listener.redirectUri).host, address = '127.0.0.1' } = {}): Promise<RawResponse> {
  return rawRequest(listener.port, `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, address);
}

/** A browser tab left waiting for its answer (errors once the test is over are of no interest). */
function openTab(listener: LoopbackListener, target: string, address = '127.0.0.1'): Promise<RawResponse | undefined> {
  return send(listener, target, { address }).catch(() => undefined);
}

const callbackTarget = (query = `code=c0de&state=${state}`): string => `/callback?${query}`;

/** The flow still waits after a refused request: the real callback then ends it. */
async function expectStillWaiting(listener: LoopbackListener, waiting: Promise<Callback>): Promise<void> {
  const settled = waiting.then(() => 'settled', () => 'settled');
  expect(await Promise.race([settled, new Promise((r) => setTimeout(() => r('pending'), 100))])).toBe('pending');
  const browser = send(listener, callbackTarget(`code=real&state=${state}`));
  const callback = await within(waiting);
  expect(callback.url.searchParams.get('code')).toBe('real');
  await callback.respond(successPage('test'));
  expect((await browser).status).toBe(200);
}

/** `promise`, or a failure when it is still pending after 5 s (a broken listener hangs rather than fails). */
function within<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('still pending after 5 s')), 5_000)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function rejection(promise: Promise<unknown>): Promise<LoopauthError> {
  const e: unknown = await within(promise).then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(LoopauthError);
  return e as LoopauthError;
}

/** Local addresses of listening TCP sockets on `port`, from /proc/net/tcp{,6} (hex, kernel byte order). */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A').map((f) => f[1]!.split(':')[0]!),
  );
}

const nonLoopbackAddress = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

describe('LoopbackListener.listen', () => {
  it('refuses a short state, a non-loopback host and an invalid port as misuse', async () => {
    await expect(LoopbackListener.listen({ expectedState: 'short' })).rejects.toThrow(TypeError);
    await expect(LoopbackListener.listen({ expectedState: state, host: '0.0.0.0' as unknown as RedirectHost })).rejects.toThrow(TypeError);
    await expect(LoopbackListener.listen({ expectedState: state, port: 70_000 })).rejects.toThrow(TypeError);
    await expect(LoopbackListener.listen({ expectedState: state, port: [] })).rejects.toThrow(TypeError);
  });

  it('gives the redirect URI http://127.0.0.1:{port}/callback on an ephemeral port', async () => {
    const listener = await start();
    expect(listener.port).toBeGreaterThan(0);
    expect(listener.redirectUri).toBe(`http://127.0.0.1:${listener.port}/callback`);
  });

  it.runIf(existsSync('/proc/net/tcp'))('binds 127.0.0.1 only, never 0.0.0.0 or ::', async () => {
    const listener = await start();
    expect(listeningAddresses(listener.port)).toEqual(['0100007F']);
  });

  it.runIf(nonLoopbackAddress !== undefined)('cannot be reached on a non-loopback address of this machine', async () => {
    const listener = await start();
    await expect(send(listener, callbackTarget(), { address: nonLoopbackAddress! })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('uses a free fixed port as asked', async () => {
    const port = await freePort();
    expect((await start({ port })).redirectUri).toBe(`http://127.0.0.1:${port}/callback`);
  });

  it('takes the next preferred port when the first is busy', async () => {
    const busy = await occupiedPort();
    const free = await freePort();
    expect((await start({ port: [busy, free] })).port).toBe(free);
  });

  it('takes the first preferred port again for each new sign-in once the last one closed', async () => {
    const ports = await freePorts(2);
    const got: (number | string)[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const listener = await start({ port: ports }).catch((e: LoopauthError) => e);
      got.push(listener instanceof LoopbackListener ? listener.port : listener.code);
      if (listener instanceof LoopbackListener) await listener.close();
    }
    expect(got).toEqual([ports[0], ports[0], ports[0]]);
  });

  it('fails with port_in_use for localhost when its fixed port is busy on ::1, and leaves 127.0.0.1 free', async () => {
    const port = await occupiedPort('::1');
    expect((await rejection(LoopbackListener.listen({ expectedState: state, host: 'localhost', port }))).code).toBe('port_in_use');
    expect(await occupiedPort('127.0.0.1', port)).toBe(port);
  });

  it('listens on [::1] with the redirect URI http://[::1]:{port}/callback', async () => {
    const listener = await start({ host: '[::1]' });
    expect(listener.redirectUri).toBe(`http://[::1]:${listener.port}/callback`);
    const waiting = listener.waitForCallback();
    void openTab(listener, callbackTarget(), '::1');
    expect((await within(waiting)).url.searchParams.get('code')).toBe('c0de');
    await expect(send(listener, '/', { address: '127.0.0.1' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('listens on both 127.0.0.1 and ::1 with one port for localhost', async () => {
    const listener = await start({ host: 'localhost' });
    expect(listener.redirectUri).toBe(`http://localhost:${listener.port}/callback`);
    expect((await send(listener, callbackTarget('state=wrong'), { address: '127.0.0.1' })).status).toBe(400);
    const waiting = listener.waitForCallback();
    void openTab(listener, callbackTarget(), '::1');
    expect((await within(waiting)).url.searchParams.get('code')).toBe('c0de');
  });

  it('fails with port_in_use naming a busy fixed port', async () => {
    const port = await occupiedPort();
    const e = await rejection(LoopbackListener.listen({ expectedState: state, port }));
    expect(e.code).toBe('port_in_use');
    expect(e.message).toContain(String(port));
  });

  it('fails with port_in_use when every preferred port is busy', async () => {
    const ports = [await occupiedPort(), await occupiedPort()];
    expect((await rejection(LoopbackListener.listen({ expectedState: state, port: ports }))).code).toBe('port_in_use');
  });
});

describe('requests that are not the callback', () => {
  const refused: [string, (l: LoopbackListener) => Promise<RawResponse>][] = [
    ['a wrong Host header (DNS rebinding)', (l) => send(l, callbackTarget(), { host: `evil.example:${l.port}` })],
    ['Host localhost for a 127.0.0.1 redirect URI', (l) => send(l, callbackTarget(), { host: `localhost:${l.port}` })],
    ['a Host header without the port', (l) => send(l, callbackTarget(), { host: '127.0.0.1' })],
    ['no Host header', (l) => rawRequest(l.port, `GET ${callbackTarget()} HTTP/1.0\r\n\r\n`)],
    ['an absolute-URI request target', (l) => send(l, `http://127.0.0.1:${l.port}${callbackTarget()}`)],
    ['a protocol-relative request target', (l) => send(l, `//evil.example${callbackTarget()}`)],
    ['HEAD on the redirect path', (l) => send(l, callbackTarget(), { method: 'HEAD' })],
    ['POST on the redirect path', (l) => send(l, callbackTarget(), { method: 'POST' })],
    ['OPTIONS on the redirect path', (l) => send(l, callbackTarget(), { method: 'OPTIONS' })],
  ];

  it.each(refused)('%s gets a 4xx and the flow keeps waiting for the real callback', async (_what, request) => {
    const listener = await start();
    const waiting = listener.waitForCallback();
    expect(String((await request(listener)).status)).toMatch(/^4\d\d$/);
    await expectStillWaiting(listener, waiting);
  });

  it.each([
    ['without state', 'code=c0de'],
    ['with a wrong state', `code=c0de&state=${state}x`],
    ['with the state twice', `code=c0de&state=${state}&state=${state}`],
    ['with the right and a wrong state', `code=c0de&state=${state}&state=other`],
  ])('a callback %s gets a 400 page and the flow keeps waiting', async (_what, query) => {
    const listener = await start();
    const waiting = listener.waitForCallback();
    const res = await send(listener, callbackTarget(query));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    await expectStillWaiting(listener, waiting);
  });

  it.each(['/', '/favicon.ico', '/callback/', '/Callback', '/callback/x'])('%s gets a 404', async (target) => {
    const listener = await start();
    const waiting = listener.waitForCallback();
    expect((await send(listener, `${target}?state=${state}`)).status).toBe(404);
    await expectStillWaiting(listener, waiting);
  });
});

describe('the callback', () => {
  it('resolves waitForCallback with the callback URL, also for a wait that starts after it arrived', async () => {
    const listener = await start();
    const waiting = listener.waitForCallback();
    void openTab(listener, callbackTarget(`code=c0de&iss=https%3A%2F%2Fas.example&state=${state}`));
    const callback = await within(waiting);
    expect(callback.url.href).toBe(`${listener.redirectUri}?code=c0de&iss=https%3A%2F%2Fas.example&state=${state}`);
    expect(await listener.waitForCallback()).toBe(callback);
  });

  it('is answered by respond() with the page, its status and inert headers', async () => {
    const listener = await start();
    const waiting = listener.waitForCallback();
    const browser = send(listener, callbackTarget());
    const page = successPage('Test App');
    await (await waiting).respond(page);
    const res = await browser;
    expect(res.status).toBe(200);
    expect(res.body).toBe(page.html);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('a second valid callback after the first gets a 4xx and does not replace it', async () => {
    const listener = await start();
    const waiting = listener.waitForCallback();
    void openTab(listener, callbackTarget(`code=first&state=${state}`));
    const callback = await waiting;
    expect(String((await send(listener, callbackTarget(`code=second&state=${state}`))).status)).toMatch(/^4\d\d$/);
    expect((await listener.waitForCallback()).url.searchParams.get('code')).toBe('first');
    expect(callback.url.searchParams.get('code')).toBe('first');
  });
});

describe('close()', () => {
  it('frees the port at once', async () => {
    const listener = await start();
    await listener.close();
    expect(await occupiedPort('127.0.0.1', listener.port)).toBe(listener.port);
  });

  it('frees a fixed port that a browser was still connected to', async () => {
    const port = await freePort();
    const listener = await start({ port });
    const idle = net.connect({ host: '127.0.0.1', port });
    await new Promise((r) => idle.once('connect', r));
    await within(listener.close());
    idle.destroy();
    expect((await start({ port })).port).toBe(port);
  });

  it.each([
    ['cancelled', undefined],
    ['timeout', new LoopauthError('timeout', 'the sign-in timed out')],
  ])('rejects a pending waitForCallback with %s (its reason, else cancelled), and later ones with cancelled', async (code, reason) => {
    const listener = await start();
    const waiting = listener.waitForCallback();
    await listener.close(reason);
    expect((await rejection(waiting)).code).toBe(code);
    expect((await rejection(listener.waitForCallback())).code).toBe('cancelled');
  });

  it('answers a browser tab still waiting with an error page', async () => {
    const listener = await start();
    const waiting = listener.waitForCallback();
    const browser = send(listener, callbackTarget());
    await waiting;
    await listener.close();
    const res = await browser;
    expect(res.status).toBe(400);
    expect(res.body).toContain('cancelled');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('stops answering: a request after close is refused by the OS', async () => {
    const listener = await start();
    await listener.close();
    await expect(send(listener, callbackTarget())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
