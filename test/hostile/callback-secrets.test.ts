/**
 * Secrets hygiene of the callback: whatever way a sign-in ends after the
 * browser came back, no code, verifier or state is in the error login()
 * throws (nor anywhere in its cause chain), in what it logs, or in the page
 * the browser tab is left on; a hostile error description is escaped.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { signInWithBrowser } from '../helpers/browser.mjs';
import { LoopauthError } from '../../src/errors.js';
import { rawExchange, requestBytes, startSignIn } from './support/listener.js';
import type { PendingSignIn } from './support/listener.js';
import { everythingIn, expectNoSecrets, signInSecrets } from './support/secrets.js';
import { useServerAndBrowser } from '../support/real-parts.js';

const real = useServerAndBrowser();
let flow: PendingSignIn | undefined;

afterEach(async () => {
  const { server } = real;
  server.setDelay(0);
  server.setTokenFault(null);
  await flow?.dispose();
  flow = undefined;
});

async function failure(promise: Promise<unknown>): Promise<LoopauthError> {
  const e: unknown = await promise.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(LoopauthError);
  return e as LoopauthError;
}

async function untilTokenRequest(): Promise<void> {
  const { server } = real;
  for (let i = 0; i < 400 && server.tokenRequests().length === 0; i++) await new Promise((r) => setTimeout(r, 25));
  expect(server.tokenRequests().length).toBeGreaterThan(0);
}

/** Neither the error (with its causes), login()'s logs nor the tab the sign-in ended on hold its code, verifier or state. */
function expectNothingSecretIn(err: LoopauthError, f: PendingSignIn, page: { url: string; text: string }): void {
  const secrets = signInSecrets(f.url, page.url);
  expect(secrets.code).toBeTruthy(); // else the check below would skip the code
  for (const text of [everythingIn(err), f.lines.join('\n'), page.text]) {
    expectNoSecrets(text, secrets);
    expect(text).not.toContain(f.state);
  }
}

describe('the hygiene check itself', () => {
  it('recognises a verifier by its S256 challenge and a code by its value', () => {
    const verifier = randomBytes(32).toString('base64url');
    const secrets = { code: 'the-code-123', challenge: createHash('sha256').update(verifier).digest('base64url') };
    for (const around of [`verifier=${verifier};`, `verifier ${verifier}.`, `x-${verifier}`, `a_${verifier}_b`]) {
      expect(() => expectNoSecrets(around, secrets)).toThrow(/verifier leaked/);
    }
    expect(() => expectNoSecrets('see the-code-123 here', secrets)).toThrow();
    expect(() => expectNoSecrets(`${randomBytes(32).toString('base64url')} and other words`, secrets)).not.toThrow();
  });
});

describe('how a sign-in ends after the browser came back', () => {
  it('aborted while the code is exchanged: cancelled, and neither the error, its causes, the logs nor the tab hold the code, verifier or state', async () => {
    const { server, browser } = real;
    flow = await startSignIn(server, browser);
    server.clearRequests();
    server.setDelay(2_000, { path: '/token' });
    const tab = signInWithBrowser(browser, flow.url);
    tab.catch(() => undefined); // awaited below; should a check fail first, afterEach's abort ends it, unawaited
    await untilTokenRequest();
    flow.abort();
    const err = await failure(flow.session);
    expect(err.code).toBe('cancelled');
    const page = await tab;
    expect(page.status).toBe(400);
    expectNothingSecretIn(err, flow, page);
  });

  it('the code refused at the exchange (invalid_grant, injected by the test server as a token fault): that code, and nothing secret in the error, its causes, the logs or the tab', async () => {
    const { server, browser } = real;
    flow = await startSignIn(server, browser);
    server.setTokenFault((q) => (q.grantType === 'authorization_code' ? { status: 400, body: { error: 'invalid_grant', error_description: 'grant request is invalid' } } : null));
    const page = await signInWithBrowser(browser, flow.url);
    const err = await failure(flow.session);
    expect(err.code).toBe('invalid_grant');
    expect(page.status).toBe(400);
    expectNothingSecretIn(err, flow, page);
  });

  it('an error response with the right state and a hostile description: that error, escaped on the page, no terminal escapes in the message', async () => {
    const { server, browser } = real;
    flow = await startSignIn(server, browser);
    const description = encodeURIComponent('<img src=x onerror=alert(1)>\u001b[2J\u001b]0;pwned\u0007 zebra-denied');
    const tab = rawExchange(flow.port, requestBytes('GET', `${flow.redirect.pathname}?error=access_denied&error_description=${description}&iss=${encodeURIComponent(server.issuer)}&state=${flow.state}`, { host: flow.redirect.host }));
    const err = await failure(flow.session);
    expect(err.code).toBe('access_denied');
    expect(err.message).toContain('zebra-denied'); // the description is shown...
    expect([...err.message].filter((c) => c < ' ' || c === '\u007f')).toEqual([]); // ...without its terminal escapes
    const page = await tab;
    expect(page.status).toBe(400);
    expect(page.body).not.toContain('<img');
    expect(page.body).toContain('&#60;img');
    expect(page.body).toContain('zebra-denied');
    expect(page.body).not.toContain(flow.state);
    expect(everythingIn(err)).not.toContain(flow.state);
  });
});
