/**
 * Requests that carry the right state but are not the browser's redirect to
 * exactly the redirect URI: other paths, path tricks, other methods, Host and
 * request-target rebinding, and requests made by a web page. Each is refused
 * with a 4xx (or a dropped connection), and the listener keeps waiting for the
 * real callback. A real Chromium then shows the same from a hostile page.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { attackTargetOf, browserNavigation, closeListeners, expect4xx, expectRealCallbackCompletes, expectRefused, listenerUnderAttack, rawExchange, requestBytes, startSignIn } from './support/listener.js';
import type { AttackTarget, PendingSignIn, RawAnswer } from './support/listener.js';
import { useServerAndBrowser } from '../support/real-parts.js';

afterEach(closeListeners);

type Attack = [string, (l: AttackTarget, query: string) => Promise<RawAnswer>];
const q = (l: AttackTarget): string => `code=forged&state=${l.state}`;

const paths: [string, number][] = [
  ['/', 404],
  ['/favicon.ico', 404],
  ['/callback/', 404],
  ['/callback/../callback', 404],
  ['/x/../callback', 404],
  ['/./callback', 404],
  ['/callback/.', 404],
  ['/callback;x', 404],
  ['/CALLBACK', 404],
  ['/Callback', 404],
  ['/callback%2F', 404],
  ['/%63allback', 404],
  ['/callback%00', 404],
  ['/callback\\', 404],
  ['//callback', 400],
];

const methods = ['HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'CONNECT', 'get'];

describe('paths other than the redirect path', () => {
  it.each(paths)('%s?{right state} gets a %i and the listener keeps waiting', async (path, status) => {
    const l = await listenerUnderAttack();
    const answer = await l.send('GET', `${path}?${q(l)}`);
    expect(answer.status).toBe(status);
    expect(answer.body).not.toContain(l.state);
    await l.expectStillWaitingThenReal();
  });

  // CONTRACT.md: anything but a GET of the redirect path gets a 4xx and does not end the flow (which 4xx is ours to choose).
  it('a fragment in the request target gets a 4xx and the listener keeps waiting', async () => {
    const l = await listenerUnderAttack();
    expect4xx(await l.send('GET', `/callback?${q(l)}#x`));
    await l.expectStillWaitingThenReal();
  });

  it('OPTIONS * gets a 4xx and the listener keeps waiting', async () => {
    const l = await listenerUnderAttack();
    expect4xx(await l.send('OPTIONS', '*'));
    await l.expectStillWaitingThenReal();
  });
});

describe('methods other than GET', () => {
  it.each(methods)('%s on the redirect URI with the right state gets a 4xx (not a dropped connection) and the listener keeps waiting', async (method) => {
    const l = await listenerUnderAttack();
    const target = method === 'CONNECT' ? l.host : `/callback?${q(l)}`;
    const answer = await l.send(method, target);
    expectRefused(answer);
    expect4xx(answer);
    if (method === 'POST' || method === 'OPTIONS' || method === 'TRACE') {
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('GET');
    }
    await l.expectStillWaitingThenReal();
  });

  it('a websocket upgrade from a web page to the redirect URI with the right state is refused and the listener keeps waiting', async () => {
    const l = await listenerUnderAttack();
    expectRefused(await l.send('GET', `/callback?${q(l)}`, { headers: [['Upgrade', 'websocket'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['Sec-WebSocket-Version', '13'], ['Sec-Fetch-Site', 'cross-site'], ['Sec-Fetch-Mode', 'websocket']] }));
    await l.expectStillWaitingThenReal();
  });
});

const rebinding: Attack[] = [
  ['Host evil.com', (l, query) => l.send('GET', `/callback?${query}`, { host: 'evil.com' })],
  ['Host evil.com with the right port', (l, query) => l.send('GET', `/callback?${query}`, { host: `evil.com:${l.listener.port}` })],
  ['Host 127.0.0.1 with another port', (l, query) => l.send('GET', `/callback?${query}`, { host: `127.0.0.1:${l.listener.port === 65535 ? 1 : l.listener.port + 1}` })],
  ['Host 127.0.0.1 without the port', (l, query) => l.send('GET', `/callback?${query}`, { host: '127.0.0.1' })],
  ['Host localhost when the redirect URI says 127.0.0.1', (l, query) => l.send('GET', `/callback?${query}`, { host: `localhost:${l.listener.port}` })],
  ['Host [::1] when the redirect URI says 127.0.0.1', (l, query) => l.send('GET', `/callback?${query}`, { host: `[::1]:${l.listener.port}` })],
  ['Host with a trailing dot', (l, query) => l.send('GET', `/callback?${query}`, { host: `127.0.0.1.:${l.listener.port}` })],
  ['Host with userinfo', (l, query) => l.send('GET', `/callback?${query}`, { host: `evil@${l.host}` })],
  ['Host with a leading zero in the port', (l, query) => l.send('GET', `/callback?${query}`, { host: `127.0.0.1:0${l.listener.port}` })],
  ['an empty Host', (l, query) => l.send('GET', `/callback?${query}`, { host: '' })],
  ['no Host header (HTTP/1.1)', (l, query) => l.send('GET', `/callback?${query}`, { host: null })],
  ['no Host header (HTTP/1.0)', (l, query) => rawExchange(l.listener.port, `GET /callback?${query} HTTP/1.0\r\n\r\n`)],
  ['two Host headers, the right one first', (l, query) => l.send('GET', `/callback?${query}`, { headers: [['Host', 'evil.com']] })],
  ['two Host headers, the right one second', (l, query) => l.send('GET', `/callback?${query}`, { host: 'evil.com', headers: [['Host', l.host]] })],
  ['the right Host header twice', (l, query) => l.send('GET', `/callback?${query}`, { headers: [['Host', l.host]] })],
  ['an absolute-URI target to the right host (GET http://127.0.0.1:port/callback?...)', (l, query) => l.send('GET', `http://${l.host}/callback?${query}`)],
  ['an absolute-URI target to another host (GET http://evil/callback?...)', (l, query) => l.send('GET', `http://evil/callback?${query}`)],
  ['an absolute https-URI target', (l, query) => l.send('GET', `https://${l.host}/callback?${query}`)],
  ['a protocol-relative target (//evil/callback)', (l, query) => l.send('GET', `//evil/callback?${query}`)],
  ['an HTTP/0.9-style request line without a version', (l, query) => rawExchange(l.listener.port, `GET /callback?${query}\r\nHost: ${l.host}\r\nConnection: close\r\n\r\n`)],
  ['HTTP/2.0 in an HTTP/1 request line', (l, query) => rawExchange(l.listener.port, `GET /callback?${query} HTTP/2.0\r\nHost: ${l.host}\r\nConnection: close\r\n\r\n`)],
  ['a backslash target (\\\\evil/callback)', (l, query) => l.send('GET', `/\\evil/callback?${query}`)],
];

describe('Host and request-target rebinding', () => {
  it.each(rebinding)('%s, with the right state, gets a 4xx and the listener keeps waiting', async (_attack, request) => {
    const l = await listenerUnderAttack();
    expect4xx(await request(l, q(l)));
    await l.expectStillWaitingThenReal();
  });

  it.each([
    ['localhost', '127.0.0.1'],
    ['localhost', '[::1]'],
    ['[::1]', 'localhost'],
    ['[::1]', '127.0.0.1'],
  ] as const)('a %s listener refuses Host %s with its port, and keeps waiting', async (listenOn, hostName) => {
    const l = await listenerUnderAttack({ host: listenOn });
    const address = listenOn === '[::1]' ? '::1' : '127.0.0.1';
    const request = requestBytes('GET', `/callback?${q(l)}`, { host: `${hostName}:${l.listener.port}` });
    expect((await rawExchange(l.listener.port, request, { address })).status).toBe(421);
    const settled = l.waiting.then(() => 'resolved', () => 'rejected');
    expect(await Promise.race([settled, new Promise((r) => setTimeout(() => r('waiting'), 50))])).toBe('waiting');
  });

  it('Host localhost in any case is the redirect URI host when it says localhost', async () => {
    const l = await listenerUnderAttack({ host: 'localhost' });
    const tab = l.send('GET', `/callback?code=real&state=${l.state}`, { host: `LocalHost:${l.listener.port}` });
    expect((await l.waiting).url.searchParams.get('code')).toBe('real');
    await l.listener.close();
    expect((await tab).status).toBe(400); // the error page of a closed listener: the flow, not the Host, ended it
  });
});

// Decided: the authorization server's redirect is a top-level GET navigation,
// which carries no Origin and, in browsers with Fetch Metadata, Sec-Fetch-Mode
// navigate and Sec-Fetch-Dest document. Anything else came from a web page.
const fromAPage: [string, (readonly [string, string])[]][] = [
  ['an Origin header from another site', [['Origin', 'https://evil.example']]],
  ['Origin: null (a sandboxed page or a redirect chain)', [['Origin', 'null']]],
  ['Origin of the listener itself', [['Origin', 'http://127.0.0.1']]],
  ['Sec-Fetch-Mode: no-cors (fetch/img/script from a page)', [['Sec-Fetch-Site', 'cross-site'], ['Sec-Fetch-Mode', 'no-cors'], ['Sec-Fetch-Dest', 'empty']]],
  ['Sec-Fetch-Mode: cors', [['Sec-Fetch-Site', 'cross-site'], ['Sec-Fetch-Mode', 'cors'], ['Sec-Fetch-Dest', 'empty']]],
  ['an <img> (Sec-Fetch-Dest: image)', [['Sec-Fetch-Site', 'cross-site'], ['Sec-Fetch-Mode', 'no-cors'], ['Sec-Fetch-Dest', 'image']]],
  ['a fetch() from another port of 127.0.0.1 (Sec-Fetch-Site: same-site)', [['Sec-Fetch-Site', 'same-site'], ['Sec-Fetch-Mode', 'no-cors'], ['Sec-Fetch-Dest', 'empty']]],
  ['Fetch Metadata without a mode', [['Sec-Fetch-Site', 'cross-site']]],
  ['an <iframe> navigation (Sec-Fetch-Dest: iframe)', [['Sec-Fetch-Site', 'cross-site'], ['Sec-Fetch-Mode', 'navigate'], ['Sec-Fetch-Dest', 'iframe']]],
  ['a navigation with a Referer and an Origin', [['Referer', 'https://evil.example/'], ['Origin', 'https://evil.example'], ...browserNavigation]],
];

describe('requests made by a web page', () => {
  it.each(fromAPage)('%s, with the right state, gets a 403 and the listener keeps waiting', async (_attack, headers) => {
    const l = await listenerUnderAttack();
    const answer = await l.send('GET', `/callback?${q(l)}`, { headers });
    expect(answer.status).toBe(403);
    await l.expectStillWaitingThenReal();
  });

  it('a navigation with only a Referer (as the authorization server’s redirect has) is the callback', async () => {
    const l = await listenerUnderAttack();
    void l.send('GET', `/callback?code=real&state=${l.state}`, { headers: [['Referer', 'https://as.example/'], ...browserNavigation] }).catch(() => undefined);
    expect((await l.waiting).url.searchParams.get('code')).toBe('real');
  });

  it('Node’s fetch (Sec-Fetch-Mode: cors, no Sec-Fetch-Site) is not a browser and is judged by its state', async () => {
    const l = await listenerUnderAttack();
    const wrong = await fetch(`${l.listener.redirectUri}?code=x&state=wrong`);
    expect(wrong.status).toBe(400);
    void fetch(`${l.listener.redirectUri}?code=real&state=${l.state}`).catch(() => undefined);
    expect((await l.waiting).url.searchParams.get('code')).toBe('real');
  });

  it('a request without any Fetch Metadata (curl, an older browser) is judged by its state', async () => {
    const l = await listenerUnderAttack();
    void l.send('GET', `/callback?code=real&state=${l.state}`).catch(() => undefined);
    expect((await l.waiting).url.searchParams.get('code')).toBe('real');
  });
});

describe('a hostile web page in real Chromium during a real sign-in', () => {
  const real = useServerAndBrowser();
  let flow: PendingSignIn | undefined;
  let page: http.Server;
  let html = '';

  beforeAll(async () => {
    page = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
  });
  afterEach(async () => {
    await flow?.dispose();
    flow = undefined;
  });
  afterAll(async () => {
    await new Promise((r) => page?.close(r));
  });

  it('every path, method, rebinding and web-page attack above, fired while login() waits, is refused; Chromium then completes the sign-in', async () => {
    const { server, browser } = real;
    flow = await startSignIn(server, browser);
    const t = attackTargetOf(flow);
    const answers = await Promise.all([
      ...paths.map(([p]) => t.send('GET', `${p}?${q(t)}`)),
      ...methods.map((m) => t.send(m, m === 'CONNECT' ? t.host : `/callback?${q(t)}`)),
      ...rebinding.map(([, request]) => request(t, q(t))),
      ...fromAPage.map(([, headers]) => t.send('GET', `/callback?${q(t)}`, { headers })),
    ]);
    for (const a of answers) expectRefused(a);
    await flow.expectStillWaiting();
    server.clearRequests();
    await expectRealCallbackCompletes(flow, server);
    expect(server.tokenRequests().filter((r) => r.grantType === 'authorization_code')).toHaveLength(1);
  });

  it('fetch(), <img>, <script>, <iframe> and a form POST carrying the right state leave login() waiting; the real callback then completes', async () => {
    const { server, browser } = real;
    flow = await startSignIn(server, browser);
    const target = `${flow.redirect.href}?code=from-a-page&state=${flow.state}`;
    html = `<!doctype html><body>
<img src="${target}&via=img"><script src="${target}&via=script"></script><iframe src="${target}&via=iframe"></iframe>
<form method="post" action="${target}&via=form"></form>
<script>fetch(${JSON.stringify(`${target}&via=fetch`)}, { mode: 'no-cors' }).catch(() => {}); document.forms[0].submit();</script>
</body>`;
    const tab = await browser.newPage();
    // What the listener answered the page: the requests must have arrived, and been refused.
    const answered: number[] = [];
    tab.on('response', (r) => void (r.url().startsWith(flow!.redirect.href) && answered.push(r.status())));
    await tab.goto(`http://127.0.0.1:${(page.address() as AddressInfo).port}/`);
    await tab.waitForLoadState('networkidle').catch(() => undefined);
    await tab.close();
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.every((status) => status >= 400)).toBe(true);
    await flow.expectStillWaiting();
    server.clearRequests();
    await expectRealCallbackCompletes(flow, server);
    expect(server.tokenRequests().filter((r) => r.grantType === 'authorization_code')).toHaveLength(1);
  });
});
