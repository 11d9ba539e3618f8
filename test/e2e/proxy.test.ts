/**
 * HTTPS_PROXY / NO_PROXY for server traffic (Node's fetch ignores them), and
 * loopback never proxied: a small recording proxy that refuses every CONNECT.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer } from '../helpers/auth-server.mjs';
import type { AuthServer } from '../helpers/auth-server.mjs';
import { removeTempConfigDirs, runCli, startCli, tempConfigDir } from '../helpers/cli.mjs';

let server: AuthServer;
let proxy: http.Server;
let proxyUrl: string;
const seen: string[] = [];

beforeAll(async () => {
  server = await startAuthServer({ https: true });
  proxy = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(502).end();
  });
  proxy.on('connect', (req: http.IncomingMessage, socket: import('node:net').Socket) => {
    seen.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  proxy?.close();
  await server?.close();
  await removeTempConfigDirs();
});

describe('proxies', () => {
  it('sends traffic for a non-loopback server through HTTPS_PROXY', async () => {
    seen.length = 0;
    const r = await runCli(['login', '--issuer', 'https://issuer.invalid', '--client-id', 'x', '--no-browser', '--store', 'file'], {
      env: { XDG_CONFIG_HOME: await tempConfigDir(), HTTPS_PROXY: proxyUrl },
    });
    expect(r.code).toBe(1);
    expect(seen).toContain('CONNECT issuer.invalid:443');
  });

  it('never sends loopback traffic through the proxy', async () => {
    seen.length = 0;
    const cli = startCli(['login', '--issuer', server.issuer, '--client-id', 'demo-cli', '--no-browser', '--store', 'file'], {
      env: { XDG_CONFIG_HOME: await tempConfigDir(), NODE_EXTRA_CA_CERTS: server.caFile!, HTTPS_PROXY: proxyUrl, HTTP_PROXY: proxyUrl },
    });
    // Discovery over loopback is done once the URL is out; the CLI is then stopped (a short
    // --timeout could end it before that on a busy machine).
    await cli.waitForAuthorizationUrl(`${server.issuer}/auth`);
    cli.kill('SIGTERM');
    await cli.waitForExit();
    expect(seen).toEqual([]);
  });
});
