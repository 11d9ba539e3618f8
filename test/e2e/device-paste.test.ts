/**
 * Signing in where the browser is elsewhere: the device grant (RFC 8628)
 * and the pasted redirect URL, against a real oidc-provider with a real
 * headless Chromium playing the person on the other machine.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer } from '../helpers/auth-server.mjs';
import type { AuthServer } from '../helpers/auth-server.mjs';
import { approveDeviceWithBrowser, launchChromium } from '../helpers/browser.mjs';
import { removeTempConfigDirs, runCli, startCli, tempConfigDir } from '../helpers/cli.mjs';
import { lastLine } from '../support/output.js';

let server: AuthServer;
let consentServer: AuthServer;
let browser: Browser;

beforeAll(async () => {
  [server, consentServer, browser] = await Promise.all([
    startAuthServer({ https: true, deviceFlow: true }),
    startAuthServer({ https: true, deviceFlow: true, autoConsent: false }),
    launchChromium(),
  ]);
});
afterAll(async () => {
  await Promise.all([server?.close(), consentServer?.close(), browser?.close()]);
  await removeTempConfigDirs();
});

async function env(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return { XDG_CONFIG_HOME: await tempConfigDir(), NODE_EXTRA_CA_CERTS: server.caFile!, ...extra };
}

/** Lets the browser sign in but stops the final redirect before it reaches the listener (the person's browser is on another machine); returns its URL. */
async function redirectUrlFromBrowser(authorizationUrl: string): Promise<string> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    let captured = '';
    // Playwright does not route the hops of a redirect, so every server redirect becomes a
    // page that navigates on (routed again), and the one to the listener is kept, not followed.
    await page.route(`${server.issuer}/**`, async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      const location = response.headers().location;
      if (!location) return route.fulfill({ response });
      const next = new URL(location, route.request().url()).href;
      if (/^http:\/\/127\.0\.0\.1:\d+\/callback/.test(next)) {
        captured = next;
        return route.fulfill({ status: 200, body: 'captured' });
      }
      const headers: Record<string, string> = { ...response.headers(), 'content-type': 'text/html' };
      delete headers.location;
      delete headers['content-length'];
      return route.fulfill({ status: 200, headers, body: `<meta http-equiv="refresh" content="0;url=${next.replace(/"/g, '&quot;')}">` });
    });
    await page.goto(authorizationUrl);
    await page.fill('#username', 'demo');
    await page.fill('#password', 'demo');
    await page.click('#login');
    await expect.poll(() => captured, { timeout: 15_000 }).not.toBe('');
    return captured;
  } finally {
    await context.close();
  }
}

describe('the device grant', () => {
  it('prints the verification URL on a line of its own and the user code, and signs in once approved', async () => {
    const e = await env();
    server.clearRequests();
    const cli = startCli(['login', '--issuer', server.issuer, '--client-id', 'demo-cli', '--flow', 'device', '--store', 'file'], { env: e });
    const [uri] = await cli.waitForStderrLine(/^https:\/\/127\.0\.0\.1:\d+\/device$/);
    const codeLine = await cli.waitForStderrLine(/code: (\S+)$/);
    await approveDeviceWithBrowser(browser, uri, codeLine[1]);
    const r = await cli.waitForExit();
    expect(r.code).toBe(0);
    expect(server.tokenRequests().some((q) => q.grantType === 'urn:ietf:params:oauth:grant-type:device_code')).toBe(true);
    expect((await runCli(['status'], { env: e })).code).toBe(0);
  });

  it('ends with access_denied when the person denies on the other device', async () => {
    const e = { XDG_CONFIG_HOME: await tempConfigDir(), NODE_EXTRA_CA_CERTS: consentServer.caFile! };
    const cli = startCli(['login', '--issuer', consentServer.issuer, '--client-id', 'demo-cli', '--flow', 'device', '--store', 'file'], { env: e });
    const [uri] = await cli.waitForStderrLine(/^https:\/\/127\.0\.0\.1:\d+\/device$/);
    const codeLine = await cli.waitForStderrLine(/code: (\S+)$/);
    await approveDeviceWithBrowser(browser, uri, codeLine[1], { action: 'deny' }).catch(() => undefined);
    const r = await cli.waitForExit();
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/^loopauth: access_denied: /);
    expect((await runCli(['status'], { env: e })).code).toBe(3);
  });

  // These stop the CLI themselves once it has shown which flow it took: a short --timeout
  // could end it before the line, while discovery is still under way on a busy machine.
  it('is what --flow auto takes with no desktop, no BROWSER and no --no-browser', async () => {
    const cli = startCli(['login', '--issuer', server.issuer, '--client-id', 'demo-cli', '--store', 'file'], { env: await env() });
    await cli.waitForStderrLine(/^https:\/\/127\.0\.0\.1:\d+\/device$/);
    cli.kill('SIGTERM');
    expect((await cli.waitForExit()).code).toBe(143);
  });

  it('is not taken by --flow auto when BROWSER is set: the browser flow prints the authorization URL', async () => {
    const cli = startCli(['login', '--issuer', server.issuer, '--client-id', 'demo-cli', '--store', 'file'], {
      env: await env({ BROWSER: 'true' }),
    });
    await cli.waitForAuthorizationUrl(`${server.issuer}/auth`);
    cli.kill('SIGTERM');
    expect((await cli.waitForExit()).code).toBe(143);
  });
});

/** A `login --paste` waiting, and the redirect URL its browser (on "another machine") ended on. */
async function pasteLogin() {
  server.clearRequests();
  const cli = startCli(['login', '--issuer', server.issuer, '--client-id', 'demo-cli', '--no-browser', '--paste', '--store', 'file'], { env: await env() });
  const url = await cli.waitForAuthorizationUrl(`${server.issuer}/auth`);
  return { cli, redirect: await redirectUrlFromBrowser(url) };
}

describe('pasting the final redirect URL', () => {
  it('refuses a forged URL and a bare code, keeps waiting, and signs in with the real redirect URL', async () => {
    const { cli, redirect } = await pasteLogin();
    const forged = new URL(redirect);
    forged.searchParams.set('state', 'forged');
    cli.child.stdin!.write(`${forged.href}\n`);
    cli.child.stdin!.write(`${new URL(redirect).searchParams.get('code')}\n`);
    await cli.waitForStderrLine(/state does not match/);
    await cli.waitForStderrLine(/not a URL/);
    cli.child.stdin!.write(`${redirect}\n`);
    const r = await cli.waitForExit();
    expect(r.code).toBe(0);
    expect(server.tokenRequests().filter((q) => q.grantType === 'authorization_code')).toHaveLength(1);
    expect(r.stderr).not.toContain(new URL(redirect).searchParams.get('code')!);
  });

  it('takes only the first valid answer when the listener and a paste race: one code exchange', async () => {
    const { cli, redirect } = await pasteLogin();
    cli.child.stdin!.write(`${redirect}\n`);
    const viaListener = await fetch(redirect).then((r) => r.status, () => 0);
    const r = await cli.waitForExit();
    expect(r.code).toBe(0);
    expect(server.tokenRequests().filter((q) => q.grantType === 'authorization_code')).toHaveLength(1);
    // The listener either answered the same sign-in (200), refused a second answer, or was already closed.
    expect([0, 200, 400, 409, 410]).toContain(viaListener);
  });

  it('never reads stdin or invites pasting when stdin is not a terminal and --paste is not given', async () => {
    const cli = startCli(['login', '--issuer', server.issuer, '--client-id', 'demo-cli', '--no-browser', '--store', 'file'], { env: await env() });
    await cli.waitForAuthorizationUrl(`${server.issuer}/auth`);
    await cli.waitForStderrLine(/^Waiting for the sign-in to complete/); // an invitation to paste would have come before it
    cli.kill('SIGTERM');
    const r = await cli.waitForExit();
    expect(r.code).toBe(143);
    expect(r.stderr).not.toMatch(/paste/i);
  });
});
