/**
 * Property tests over the loopback listener's callback handling: thousands of
 * generated requests (methods, targets, queries, Host headers, browser
 * metadata, raw junk) sent byte for byte to a real LoopbackListener. The only
 * request that ever resolves waitForCallback is exactly the valid callback;
 * every other gets a 4xx or a closed socket; nothing throws out of the
 * listener; and it stays usable for the real callback.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoopbackListener } from '../../src/listener.js';
import type { Callback } from '../../src/listener.js';
import { successPage } from '../../src/pages.js';
import { expectRefused, rawExchange } from '../hostile/support/listener.js';

/** One listener at a time; replaced after a valid callback ends its sign-in. */
class Target {
  listener!: LoopbackListener;
  state = '';
  host = '';
  callback: Callback | undefined;
  async renew(): Promise<void> {
    await this.listener?.close();
    this.state = randomBytes(24).toString('base64url');
    this.listener = await LoopbackListener.listen({ expectedState: this.state });
    this.host = new URL(this.listener.redirectUri).host;
    this.callback = undefined;
    this.listener.waitForCallback().then((c) => (this.callback = c), () => undefined);
  }
}

const target = new Target();
const escaped: unknown[] = [];
const onEscape = (e: unknown): number => escaped.push(e);

beforeAll(async () => {
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  await target.renew();
});
afterAll(async () => {
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
  await target.listener.close();
});

// Symbolic values, filled in with the live listener's state and host when sent.
const STATE = '\u0001STATE\u0001';
const HOST = '\u0001HOST\u0001';
const PORT = '\u0001PORT\u0001';

const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,8}$/);
const method = fc.oneof({ weight: 4, arbitrary: fc.constant('GET') }, fc.constantFrom('HEAD', 'POST', 'PUT', 'OPTIONS', 'TRACE', 'CONNECT', 'DELETE', 'get', 'Get'), token);
const piece = fc.constantFrom('/', '.', '..', '%2F', '%2f', '%00', ';', '\\', 'x', '%63', 'callback', 'CALLBACK', '%', '%C0%AF', '~', '*', '@', ':');
const path = fc.oneof(
  { weight: 6, arbitrary: fc.constant('/callback') },
  fc.array(piece, { maxLength: 6 }).map((p) => `/${p.join('')}`),
  fc.tuple(fc.array(piece, { maxLength: 3 }), fc.array(piece, { maxLength: 3 })).map(([a, b]) => `/${a.join('')}callback${b.join('')}`),
  fc.constantFrom(`http://${HOST}/callback`, 'http://evil/callback', '//evil/callback', '*', `${HOST}`, 'callback'),
);
const valueChar = fc.oneof(fc.constantFrom('%00', '%FF', '%C0%AF', '%', '%25', '%26', '%3D', '+', '%20', '%23'), fc.stringMatching(/^[!$'()*,\-./0-9:;@A-Z_a-z~]$/));
const value = fc.oneof(
  { weight: 5, arbitrary: fc.constant(STATE) },
  fc.constant(''),
  fc.array(valueChar, { maxLength: 12 }).map((v) => v.join('')),
  fc.tuple(fc.array(valueChar, { maxLength: 2 }), fc.array(valueChar, { maxLength: 2 })).map(([a, b]) => `${a.join('')}${STATE}${b.join('')}`),
);
const name = fc.constantFrom('state', 'state', 'code', 'code', 'error', 'iss', 'error_description', 'State', 'state%00', 'x', '');
const query = fc.oneof(
  fc.constant(undefined),
  fc.array(fc.tuple(name, value), { maxLength: 5 }).map((ps) => ps.map(([k, v]) => (k === '' ? v : `${k}=${v}`)).join('&')),
  fc.constantFrom(`code=c0de&state=${STATE}`, `error=access_denied&state=${STATE}`, `state=${STATE}&code=c0de&iss=x`),
);
const host: fc.Arbitrary<readonly string[]> = fc.oneof(
  { weight: 6, arbitrary: fc.constant([HOST]) },
  fc.constant([] as string[]),
  fc.array(fc.stringMatching(/^[a-zA-Z0-9.:[\]@%_-]{0,24}$/), { minLength: 1, maxLength: 2 }),
  fc.constantFrom([HOST, HOST], [HOST, 'evil.com'], ['evil.com', HOST], ['evil.com'], [`evil.com:${PORT}`], ['127.0.0.1'], [`localhost:${PORT}`], [`[::1]:${PORT}`], [`127.0.0.1:0${PORT}`], ['']),
);
const metadata = fc.subarray([
  ['Origin', 'https://evil.example'],
  ['Origin', 'null'],
  ['Sec-Fetch-Mode', 'no-cors'],
  ['Sec-Fetch-Mode', 'navigate'],
  ['Sec-Fetch-Dest', 'document'],
  ['Sec-Fetch-Dest', 'iframe'],
  ['Sec-Fetch-Site', 'cross-site'],
  ['Sec-Fetch-Site', 'same-site'],
  ['Sec-Fetch-Mode', 'cors'],
  ['Referer', 'https://as.example/'],
] as const, { maxLength: 4 });
const version = fc.oneof({ weight: 8, arbitrary: fc.constant('HTTP/1.1') }, fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 x', 'http/1.1', ''));

const request = fc.record({ method, path, query, host, metadata, version });
type Request = typeof request extends fc.Arbitrary<infer R> ? R : never;

function fill(text: string): string {
  return text.replaceAll(STATE, target.state).replaceAll(HOST, target.host).replaceAll(PORT, String(target.listener.port));
}

function bytes(r: Request): string {
  const line = `${r.method} ${fill(r.path)}${r.query === undefined ? '' : `?${fill(r.query)}`} ${r.version}`.trimEnd();
  const headers = [...r.host.map((h) => ['Host', fill(h)] as const), ...r.metadata, ['Connection', 'close'] as const];
  return `${line}\r\n${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
}

/** The specification, written apart from the implementation: what counts as the callback. */
function isValidCallback(r: Request): boolean {
  if (r.method !== 'GET' || !['HTTP/1.1', 'HTTP/1.0'].includes(r.version) || r.path !== '/callback' || r.query === undefined) return false;
  if (r.host.length !== 1 || r.host[0] !== HOST) return false;
  const all = (name: string): string[] => r.metadata.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
  // A top-level navigation: no Origin; from a browser with Fetch Metadata (Sec-Fetch-Site), exactly navigate / document.
  if (all('origin').length > 0) return false;
  if (all('sec-fetch-site').length > 0 && (all('sec-fetch-mode').join() !== 'navigate' || all('sec-fetch-dest').join() !== 'document')) return false;
  const q = fill(r.query);
  if (q.includes('#')) return false;
  const params = new URLSearchParams(q);
  const states = params.getAll('state');
  if (states.length !== 1 || states[0] !== target.state) return false;
  if (['code', 'error', 'error_description', 'iss'].some((n) => params.getAll(n).length > 1)) return false;
  return params.has('code') !== params.has('error');
}

describe('fuzzing the callback handling', () => {
  // 4,000 real socket exchanges: 25 s of the default 60 s with two CPU hogs running (measured),
  // so a busier machine could time out work that is only slow; hence its own 180 s.
  it('only the exactly valid callback resolves waitForCallback; every other request gets a 4xx or a closed socket', async () => {
    let valid = 0;
    let refused = 0;
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        // A failed run leaves its listener in an unknown state: shrinking starts on a fresh one.
        await check(r).catch(async (e: unknown) => {
          await target.renew();
          throw e;
        });
      }),
      { numRuns: 4_000 },
    );
    async function check(r: Request): Promise<void> {
      const exchange = rawExchange(target.listener.port, bytes(r));
      const first = await Promise.race([exchange.then(() => 'answer' as const), target.listener.waitForCallback().then(() => 'callback' as const)]);
      if (first === 'callback') {
        // Resolved: it must be the valid callback, which then gets its page.
        expect(isValidCallback(r)).toBe(true);
        valid++;
        expect(target.callback?.url.searchParams.get('state')).toBe(target.state);
        await target.callback!.respond(successPage('fuzz'));
        expect((await exchange).status).toBe(200);
        await target.renew();
      } else {
        const answer = await exchange;
        expect(isValidCallback(r)).toBe(false);
        refused++;
        expect(target.callback).toBeUndefined();
        expectRefused(answer);
        expect(answer.body).not.toContain(target.state);
      }
  }
    console.log(`fuzz: ${valid} valid callbacks and ${refused} refused requests in ${Date.now() - started} ms`);
    expect(valid).toBeGreaterThan(10); // the generator does reach the valid callback
    expect(escaped).toEqual([]);
  }, 180_000);

  it('raw junk bytes never resolve waitForCallback and never throw out of the listener, which then takes the real callback', async () => {
    await target.renew();
    const junk = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 512 }),
      fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.constantFrom('GET /callback?state=', 'GET / HTTP/1.1\r\n', '\r\n\r\n', 'Host: ', 'Transfer-Encoding: chunked\r\n')).map(([b, s]) => Uint8Array.from([...Buffer.from(s), ...b])),
    );
    await fc.assert(
      fc.asyncProperty(junk, async (b) => {
        const answer = await rawExchange(target.listener.port, Buffer.from(b), { halfClose: true });
        expect(target.callback).toBeUndefined();
        expectRefused(answer);
      }),
      { numRuns: 2_000 },
    );
    const tab = rawExchange(target.listener.port, `GET /callback?code=real&state=${target.state} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: close\r\n\r\n`);
    const callback = await target.listener.waitForCallback();
    await callback.respond(successPage('fuzz'));
    expect((await tab).status).toBe(200);
    expect(escaped).toEqual([]);
  });
});
