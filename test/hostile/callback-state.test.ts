/**
 * Forged and malformed authorization responses sent to the loopback listener:
 * each gets a 400 page that echoes nothing, the listener keeps waiting, and
 * the real callback then resolves it. The same battery is then fired at a
 * real sign-in (login() against the real oidc-provider), which Chromium
 * still completes.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { readPastedCallback } from '../../src/paste.js';
import { browserNavigation, closeListeners, expectRealCallbackCompletes, expectRefused, listenerUnderAttack, rawExchange, requestBytes, startSignIn } from './support/listener.js';
import type { PendingSignIn, RawAnswer } from './support/listener.js';
import { expectNoSecrets, signInSecrets } from './support/secrets.js';
import { useServerAndBrowser } from '../support/real-parts.js';

const real = useServerAndBrowser();
let flow: PendingSignIn | undefined;

afterEach(async () => {
  await closeListeners();
  await flow?.dispose();
  flow = undefined;
});

/** GET `/callback?{query}` with the right Host, as any local process could send it. */
function forge(f: PendingSignIn, query: string): Promise<RawAnswer> {
  return rawExchange(f.port, requestBytes('GET', `${f.redirect.pathname}?${query}`, { host: f.redirect.host }));
}

const overlong = 'A'.repeat(8_000);

// [attack, query given the real state]
const forged: [string, (state: string) => string][] = [
  ['a callback without state', () => 'code=forged'],
  ['a callback with a wrong state', () => 'code=forged&state=not-the-state'],
  ['a callback with an empty state', () => 'code=forged&state='],
  ['a callback with the state as a prefix of a longer one', (s) => `code=forged&state=${s}x`],
  ['a callback with a truncated state', (s) => `code=forged&state=${s.slice(0, -1)}`],
  ['a repeated state (state=a&state=b)', (s) => `code=forged&state=${s}&state=b`],
  ['a repeated state (wrong one first)', (s) => `code=forged&state=b&state=${s}`],
  ['the right state twice', (s) => `code=forged&state=${s}&state=${s}`],
  ['an overlong state (8 kB)', () => `code=forged&state=${overlong}`],
  ['an error without state', () => 'error=access_denied&error_description=forged'],
  ['an error with a wrong state', () => 'error=access_denied&state=not-the-state'],
  ['duplicate code parameters with the right state', (s) => `code=one&code=two&state=${s}`],
  ['duplicate error parameters with the right state', (s) => `error=access_denied&error=server_error&state=${s}`],
  ['both code and error with the right state', (s) => `code=forged&error=access_denied&state=${s}`],
  ['the right state but neither code nor error', (s) => `state=${s}`],
  ['duplicate iss parameters with the right state', (s) => `code=forged&iss=a&iss=b&state=${s}`],
  ['a state followed by a NUL (%00)', (s) => `code=forged&state=${s}%00`],
  ['a state with a NUL inside (%00)', (s) => `code=forged&state=${s.slice(0, 4)}%00${s.slice(4)}`],
  ['a state with invalid UTF-8 (%FF%FE)', (s) => `code=forged&state=${s}%FF%FE`],
  ['a state with overlong UTF-8 (%C0%AF)', (s) => `code=forged&state=${s}%C0%AF`],
  ['a lone % in the state', (s) => `code=forged&state=${s}%`],
  ['a state padded with an encoded space (%20)', (s) => `code=forged&state=%20${s}`],
  ['a state smuggled in the code (code=x%26state%3D…)', (s) => `code=x%26state%3D${s}`],
  ['a state parameter name with different case (State=)', (s) => `code=forged&State=${s}`],
  ['a state parameter name padded with an encoded NUL (state%00=)', (s) => `code=forged&state%00=${s}`],
];

describe('forged authorization responses', () => {
  it.each(forged)('%s gets a 400 page that echoes nothing, and the listener keeps waiting for the real callback', async (_attack, query) => {
    const l = await listenerUnderAttack();
    const answer = await l.send('GET', `/callback?${query(l.state)}`, { headers: browserNavigation });
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^text\/html/);
    expect(answer.body).not.toContain(l.state);
    expect(answer.body).not.toContain('forged');
    await l.expectStillWaitingThenReal();
  });

  it('non-UTF-8 bytes in the raw request line are refused or dropped, and the listener keeps waiting', async () => {
    const l = await listenerUnderAttack();
    const bytes = Buffer.concat([
      Buffer.from('GET /callback?code='),
      Buffer.from([0xff, 0xfe, 0xc0, 0xaf, 0x80]),
      Buffer.from(`&state=${l.state} HTTP/1.1\r\nHost: ${l.host}\r\nConnection: close\r\n\r\n`),
    ]);
    expectRefused(await rawExchange(l.listener.port, bytes));
    await l.expectStillWaitingThenReal();
  });
});

describe('the same responses pasted (loopauth login --paste)', () => {
  it('every forged response above is refused with a warning, and the real redirect URL pasted after them is taken', async () => {
    const state = 'S'.repeat(43);
    const redirectUri = 'http://127.0.0.1:8400/callback';
    const input = new PassThrough();
    const warnings: string[] = [];
    const reader = readPastedCallback(input, redirectUri, state, (w) => warnings.push(w));
    for (const [, query] of forged) input.write(`${redirectUri}?${query(state)}\n`);
    input.write(`${redirectUri}?code=real&state=${state}\n`);
    const url = await reader.url;
    reader.stop();
    expect(url.searchParams.get('code')).toBe('real');
    expect(warnings).toHaveLength(forged.length);
    for (const w of warnings) expect(w).not.toContain(state);
  });
});

describe('a real sign-in under forged responses', () => {
  it('every forged response above, fired while login() waits, leaves it waiting; Chromium then completes the sign-in with the real code', async () => {
    const { server, browser } = real;
    flow = await startSignIn(server, browser);
    server.clearRequests();
    const f = flow;
    const answers = await Promise.all(forged.map(([, query]) => forge(f, query(f.state))));
    expect(answers.map((a) => a.status)).toEqual(forged.map(() => 400));
    for (const a of answers) expect(a.body).not.toContain(f.state);
    await f.expectStillWaiting();
    const callbackUrl = await expectRealCallbackCompletes(f, server);
    expect(server.tokenRequests().filter((q) => q.grantType === 'authorization_code')).toHaveLength(1);
    const secrets = signInSecrets(f.url, callbackUrl);
    expect(secrets.code).toBeTruthy(); // else the check below would skip the code
    // Nothing login() logged or warned carries the state, the real code or the verifier.
    expect(f.lines.join('\n')).not.toContain(f.state);
    expectNoSecrets(f.lines.join('\n'), secrets);
  });

  it('a code with a wrong state, then the real callback: the sign-in completes with the real code only', async () => {
    const { server, browser } = real;
    flow = await startSignIn(server, browser);
    server.clearRequests();
    expect((await forge(flow, 'code=stolen-code&state=guess')).status).toBe(400);
    await flow.expectStillWaiting();
    await expectRealCallbackCompletes(flow, server);
    expect(server.tokenRequests().filter((q) => q.grantType === 'authorization_code')).toHaveLength(1);
  });

  it('a replay of the real callback URL afterwards meets a closed port, and nothing is exchanged twice', async () => {
    const { server, browser } = real;
    flow = await startSignIn(server, browser);
    server.clearRequests();
    const code = signInSecrets(flow.url, await expectRealCallbackCompletes(flow, server)).code!;
    await expect(forge(flow, `code=${encodeURIComponent(code)}&state=${flow.state}`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(server.tokenRequests().filter((q) => q.grantType === 'authorization_code')).toHaveLength(1);
  });
});
