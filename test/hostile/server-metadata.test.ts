/**
 * Server metadata that lies: a hostile server on loopback (and the real
 * oidc-provider where one answer is enough) hands loopauth a wrong issuer,
 * insecure or executable endpoints, megabytes, garbage, loops or silence.
 * In every case: the error's code, exit 1, no browser launched, nothing saved.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAuthServer } from '../helpers/auth-server.mjs';
import type { AuthServer } from '../helpers/auth-server.mjs';
import { hostileServers } from './support/servers.js';
import { loginAgainst, secretLeaks } from './support/server.run.js';
import type { HostileRun } from './support/server.run.js';

const { hostile, closeAfterEach } = hostileServers();

/** A raw server whose every request `answer` handles (no routing at all). */
async function rawServer(answer: http.RequestListener): Promise<string> {
  const server = http.createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closeAfterEach({
    close: () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function expectRefused(run: HostileRun, code: string): void {
  expect(run.code_).toBe(code);
  expect(run.code).toBe(1);
  expect(run.launches).toEqual([]);
  expect(run.saved).toEqual([]);
}

describe('a hostile server that tells the truth (control for every case below)', () => {
  it('signs in through the recording browser, and no secret is anywhere but the store', async () => {
    const s = await hostile({});
    const run = await loginAgainst(s);
    expect(run.stderr).toContain('Signed in as hostile-user');
    expect(run.code).toBe(0);
    expect(run.launches).toHaveLength(1);
    expect(run.page?.status).toBe(200);
    expect(run.saved).toContain(path.join('loopauth', 'profiles', 'default.json'));
    expect(secretLeaks(run, s.secrets)).toEqual([]);
  });
});

describe('issuer mismatch', () => {
  it('refuses metadata that names another issuer (real oidc-provider reached as localhost): discovery_failed', async () => {
    const real: AuthServer = await startAuthServer();
    closeAfterEach(real);
    const run = await loginAgainst(real.issuer.replace('127.0.0.1', 'localhost'), ['--client-id', 'demo-cli']);
    expectRefused(run, 'discovery_failed');
    expect(real.tokenRequests()).toEqual([]);
  });

  it('refuses metadata that names an issuer one path segment longer', async () => {
    const s = await hostile({ metadata: (base) => ({ issuer: `${base}/tenant` }) });
    expectRefused(await loginAgainst(s), 'discovery_failed');
  });
});

describe('insecure endpoints', () => {
  for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'revocation_endpoint', 'registration_endpoint', 'device_authorization_endpoint', 'userinfo_endpoint']) {
    it(`refuses an http ${field} on a non-loopback host with insecure_url`, async () => {
      const s = await hostile({ metadata: () => ({ [field]: `http://auth.example.com/${field}` }) });
      expectRefused(await loginAgainst(s), 'insecure_url');
      expect(s.tokenRequests()).toBe(0);
    });
  }
});

describe('loopback lookalikes', () => {
  for (const host of ['localhost.evil.example', '127.0.0.1.nip.io', '[::ffff:7f00:1]', '0.0.0.0', '127.0.0.1@evil.example']) {
    it(`refuses an http token endpoint on ${host}, which only looks like loopback: insecure_url`, async () => {
      const s = await hostile({ metadata: () => ({ token_endpoint: `http://${host}:8080/token` }) });
      expectRefused(await loginAgainst(s), 'insecure_url');
    });
  }
});

describe('authorization endpoints that would run something (CVE-2025-6514)', () => {
  const marker = path.join(tmpdir(), `loopauth-pwned-${process.pid}`);
  const endpoints: Record<string, string> = {
    'a javascript: URL': 'javascript:alert(document.domain)//',
    'a file: URL': 'file:///etc/passwd',
    'a data: URL': 'data:text/html,<script>alert(1)</script>',
    'a vbscript: URL': 'vbscript:msgbox(1)',
    'a custom-scheme URL': 'ms-msdt:/id PCWDiagnostic',
    'an https URL with $(command substitution)': `https://auth.example.com/authorize$(touch${'${IFS}'}${marker})`,
    'an https URL with `backticks`': `https://auth.example.com/\`touch ${marker}\``,
    'an https URL with ; and |': `https://auth.example.com/a;touch${'${IFS}'}${marker}|sh`,
    'an https URL with a cmd.exe & and ^': 'https://auth.example.com/a^&calc.exe',
  };
  for (const [what, endpoint] of Object.entries(endpoints)) {
    it(`refuses ${what} with insecure_url: nothing reaches a shell or a browser`, async () => {
      const s = await hostile({ metadata: () => ({ authorization_endpoint: endpoint }) });
      const run = await loginAgainst(s);
      expectRefused(run, 'insecure_url');
      expect(run.stderr).not.toContain(endpoint);
      expect(existsSync(marker)).toBe(false);
    });
  }
});

describe('metadata that is not metadata', () => {
  it('refuses a declared body of megabytes without reading it: discovery_failed', async () => {
    const base = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(64 * 1024 * 1024) });
      res.write('{"issuer":"');
      // never sends the rest: a reader that trusted the length would wait or buffer 64 MB
    });
    const run = await loginAgainst(base);
    expectRefused(run, 'discovery_failed');
    expect(run.durationMs).toBeLessThan(8000);
  });

  it('stops reading an endless chunked metadata stream after a megabyte: discovery_failed', async () => {
    let sent = 0;
    const base = await rawServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (sent < 512 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
      };
      res.on('drain', pump);
      req.socket.on('close', () => res.off('drain', pump));
      pump();
    });
    const run = await loginAgainst(base);
    expectRefused(run, 'discovery_failed');
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses invalid JSON: discovery_failed', async () => {
    const s = await hostile({ routes: { '/.well-known/openid-configuration': (_q, res) => void res.end('{"issuer": "http://127.0.0.1", ') } });
    expectRefused(await loginAgainst(s), 'discovery_failed');
  });

  it('refuses a JSON array, null or string instead of an object: discovery_failed', async () => {
    for (const body of ['[]', 'null', '"metadata"']) {
      const s = await hostile({
        routes: { '/.well-known/openid-configuration': (_q, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(body) },
      });
      expectRefused(await loginAgainst(s), 'discovery_failed');
    }
  });

  it('refuses an HTML page served with status 200 as metadata: discovery_failed', async () => {
    const s = await hostile({
      routes: { '/.well-known/openid-configuration': (_q, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>') },
    });
    expectRefused(await loginAgainst(s), 'discovery_failed');
  });

  it('refuses endpoints that are not strings: discovery_failed', async () => {
    const s = await hostile({ metadata: () => ({ token_endpoint: { href: 'https://auth.example.com/token' } }) });
    expectRefused(await loginAgainst(s), 'discovery_failed');
  });

  it('does not follow a redirect to another server’s metadata: discovery_failed, the other server never asked', async () => {
    const other = await hostile({});
    const s = await hostile({
      routes: { '/.well-known/openid-configuration': (_q, res) => void res.writeHead(302, { location: `${other.issuer}/.well-known/openid-configuration` }).end() },
    });
    expectRefused(await loginAgainst(s), 'discovery_failed');
    expect(other.requests).toEqual([]);
  });

  it('does not follow a redirect loop: discovery_failed, after a handful of requests at most', async () => {
    let hits = 0;
    const base = await rawServer((req, res) => {
      hits++;
      res.writeHead(302, { location: req.url ?? '/' });
      res.end();
    });
    const run = await loginAgainst(base);
    expectRefused(run, 'discovery_failed');
    expect(hits).toBeLessThanOrEqual(4);
  });
});

describe('a server that never answers', () => {
  it('ends with timeout within --timeout, not a hang, and the process exits', async () => {
    const base = await rawServer(() => {
      /* accepts the request and says nothing, ever */
    });
    const run = await loginAgainst(base, ['--timeout', '2']);
    expectRefused(run, 'timeout');
    expect(run.durationMs).toBeLessThan(4500);
  });

  it('ends with timeout when the server accepts the connection but never reads or writes', async () => {
    const net = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const server = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closeAfterEach({
      close: () => {
        for (const s of sockets) s.destroy();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      },
    });
    const run = await loginAgainst(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, ['--timeout', '2']);
    expectRefused(run, 'timeout');
    expect(run.durationMs).toBeLessThan(4500);
  });
});
