/**
 * From a protected resource's URL to a token (RFC 9728 → RFC 7591 → sign-in):
 * a small resource server that answers 401 with `resource_metadata`, and the
 * real oidc-provider with registration and resource indicators on.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer } from '../helpers/auth-server.mjs';
import type { AuthServer } from '../helpers/auth-server.mjs';
import { launchChromium, signInWithBrowser } from '../helpers/browser.mjs';
import { removeTempConfigDirs, runCli, startCli, tempConfigDir } from '../helpers/cli.mjs';
import { lastLine } from '../support/output.js';

let server: AuthServer;
let noRegistration: AuthServer;
let browser: Browser;
let resourceServer: http.Server;
let resourceUrl: string;
let claimedResource = '';

beforeAll(async () => {
  [server, noRegistration, browser] = await Promise.all([
    startAuthServer({ https: true, registration: true, resourceIndicators: true }),
    startAuthServer({ https: true }),
    launchChromium(),
  ]);
  resourceServer = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${(resourceServer.address() as AddressInfo).port}`;
    if (req.url === '/.well-known/oauth-protected-resource/mcp') {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ resource: claimedResource || `${base}/mcp`, authorization_servers: [server.issuer], scopes_supported: ['api:read'] }));
    }
    res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"` });
    res.end();
  });
  await new Promise<void>((r) => resourceServer.listen(0, '127.0.0.1', r));
  resourceUrl = `http://127.0.0.1:${(resourceServer.address() as AddressInfo).port}/mcp`;
});
afterAll(async () => {
  resourceServer?.close();
  await Promise.all([server?.close(), noRegistration?.close(), browser?.close()]);
  await removeTempConfigDirs();
});

async function login(e: Record<string, string>, extra: string[] = []) {
  const cli = startCli(['login', '--resource-url', resourceUrl, '--no-browser', '--store', 'file', ...extra], { env: e });
  const url = await cli.waitForAuthorizationUrl(`${server.issuer}/auth`);
  return { url, page: await signInWithBrowser(browser, url), result: await cli.waitForExit() };
}

describe('login --resource-url', () => {
  it('registers a native client once, asks for the resource everywhere, and reuses the registration', async () => {
    const e = { XDG_CONFIG_HOME: await tempConfigDir(), NODE_EXTRA_CA_CERTS: server.caFile! };
    server.clearRequests();
    const first = await login(e);
    expect(first.result.code).toBe(0);
    const registrations = server.requests.filter((q) => q.method === 'POST' && q.path === '/reg');
    expect(registrations).toHaveLength(1);
    const auth = new URL(first.url).searchParams;
    expect(auth.get('resource')).toBe(resourceUrl);
    expect(auth.get('scope')?.split(' ')).toContain('api:read');
    expect(server.tokenRequests().find((q) => q.grantType === 'authorization_code')?.params.resource).toBe(resourceUrl);

    server.clearRequests();
    expect((await runCli(['token', '--min-ttl', '999999'], { env: e })).code).toBe(0);
    expect(server.tokenRequests().find((q) => q.grantType === 'refresh_token')?.params.resource).toBe(resourceUrl);
    const status = JSON.parse((await runCli(['status', '--json'], { env: e })).stdout) as { resource?: string[] };
    expect(status.resource).toEqual([resourceUrl]);

    server.clearRequests();
    expect((await login(e)).result.code).toBe(0);
    expect(server.requests.filter((q) => q.path === '/reg')).toHaveLength(0);
  });

  it('keeps a registration even when that sign-in then fails, and reuses it next time', async () => {
    const e = { XDG_CONFIG_HOME: await tempConfigDir(), NODE_EXTRA_CA_CERTS: server.caFile! };
    server.clearRequests();
    const failed = await runCli(['login', '--resource-url', resourceUrl, '--no-browser', '--store', 'file', '--timeout', '2'], { env: e });
    expect(failed.code).toBe(1);
    expect(server.requests.filter((q) => q.path === '/reg')).toHaveLength(1);
    server.clearRequests();
    expect((await login(e)).result.code).toBe(0);
    expect(server.requests.filter((q) => q.path === '/reg')).toHaveLength(0);
  });

  it('refuses metadata whose resource is not the URL given, with discovery_failed and nothing started', async () => {
    claimedResource = 'https://elsewhere.example/mcp';
    try {
      const r = await runCli(['login', '--resource-url', resourceUrl, '--no-browser', '--store', 'file'], { env: { XDG_CONFIG_HOME: await tempConfigDir(), NODE_EXTRA_CA_CERTS: server.caFile! } });
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toMatch(/^loopauth: discovery_failed: /);
      expect(r.stderr).not.toMatch(/\/auth\?/);
    } finally {
      claimedResource = '';
    }
  });

  it('is a usage error naming --client-id against a server without registration', async () => {
    const r = await runCli(['login', '--issuer', noRegistration.issuer, '--no-browser', '--store', 'file'], {
      env: { XDG_CONFIG_HOME: await tempConfigDir(), NODE_EXTRA_CA_CERTS: noRegistration.caFile! },
    });
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toMatch(/^loopauth: client_id_required: .*--client-id/);
  });
});
