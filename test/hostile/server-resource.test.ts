/**
 * Protected resource metadata that lies (RFC 9728, `login --resource-url`):
 * a hostile server plays both the resource and its authorization server.
 */
import { describe, expect, it } from 'vitest';
import { hostileServers } from './support/servers.js';
import type { Handler, HostileServer } from './support/server.js';
import { loginAgainst } from './support/server.run.js';

const { hostile } = hostileServers();

/** A hostile server whose resource `/api` has metadata `meta(base)` (or is answered by `api`). */
async function resourceServer(meta: (base: string) => unknown, api?: Handler): Promise<HostileServer> {
  const s: HostileServer = await hostile({
    routes: {
      '/.well-known/oauth-protected-resource/api': (_req, res) => {
        const body = meta(s.issuer);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      },
      ...(api ? { '/api': api } : {}),
    },
  });
  return s;
}

const loginResource = (s: HostileServer) => loginAgainst(s.issuer, ['--resource-url', `${s.issuer}/api`]);

describe('protected resource metadata', () => {
  it('signs in through a truthful resource (control)', async () => {
    const s = await resourceServer((base) => ({ resource: `${base}/api`, authorization_servers: [base] }));
    const run = await loginResource(s);
    expect(run.stderr).toContain('Signed in');
    expect(run.code).toBe(0);
  });

  it('refuses an authorization server on plain http off loopback: insecure_url, nothing launched', async () => {
    const s = await resourceServer((base) => ({ resource: `${base}/api`, authorization_servers: ['http://auth.example.com'] }));
    const run = await loginResource(s);
    expect(run.code_).toBe('insecure_url');
    expect(run.launches).toEqual([]);
  });

  it('refuses a javascript: authorization server: discovery_failed or insecure_url, nothing launched', async () => {
    const s = await resourceServer((base) => ({ resource: `${base}/api`, authorization_servers: ['javascript:alert(1)'] }));
    const run = await loginResource(s);
    expect(['insecure_url', 'discovery_failed']).toContain(run.code_);
    expect(run.launches).toEqual([]);
  });

  it('refuses metadata that names another resource (a resource vouching for someone else): discovery_failed', async () => {
    const s = await resourceServer((base) => ({ resource: `${base}/other-api`, authorization_servers: [base] }));
    const run = await loginResource(s);
    expect(run.code_).toBe('discovery_failed');
    expect(run.launches).toEqual([]);
  });

  it('refuses a 401 whose resource_metadata points at plain http off loopback: insecure_url', async () => {
    const s = await resourceServer(
      (base) => ({ resource: `${base}/api`, authorization_servers: [base] }),
      (_req, res) => void res.writeHead(401, { 'www-authenticate': 'Bearer resource_metadata="http://evil.example.com/meta"' }).end(),
    );
    const run = await loginResource(s);
    expect(run.code_).toBe('insecure_url');
    expect(run.launches).toEqual([]);
  });

  it('refuses resource metadata of megabytes and invalid JSON: discovery_failed', async () => {
    for (const body of [`{"resource":"${'x'.repeat(2 * 1024 * 1024)}"}`, '{"resource": ']) {
      const s = await resourceServer(() => body);
      const run = await loginResource(s);
      expect(run.code_).toBe('discovery_failed');
      expect(run.launches).toEqual([]);
    }
  });
});
