/**
 * A token endpoint that lies: a hostile server on loopback lets the browser
 * come back with a code, then answers the exchange with HTML, half a token
 * response, odd lifetimes, forged ID tokens or an error description built to
 * attack the browser tab and the terminal. In every failing case: the
 * error's code, exit 1, an error page in the tab, nothing saved, no secret
 * anywhere but the store.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.mjs';
import { foreignKey, signJwt } from './support/server.js';
import { hostileServers } from './support/servers.js';
import type { HostileOptions, HostileServer, TokenContext } from './support/server.js';
import { loginAgainst, secretLeaks } from './support/server.run.js';
import type { HostileRun } from './support/server.run.js';
import { terminalControls } from '../support/output.js';

const { hostile } = hostileServers();

/** Signs in against a server whose token endpoint answers `token(ctx)`. */
async function exchangeWith(token: (ctx: TokenContext) => ReturnType<NonNullable<HostileOptions['token']>>): Promise<{ s: HostileServer; run: HostileRun }> {
  const s = await hostile({ token });
  const run = await loginAgainst(s);
  expect(s.tokenRequests()).toBe(1); // the lie was really told, and only once
  return { s, run };
}

function expectFailed({ s, run }: { s: HostileServer; run: HostileRun }, code: string): void {
  expect(run.code_).toBe(code);
  expect(run.code).toBe(1);
  expect(run.page?.status).toBe(400);
  expect(run.page?.body).toContain('Sign-in failed');
  expect(run.saved).toEqual([]);
  expect(secretLeaks(run, s.secrets)).toEqual([]);
}

const html = (status: number, body: string) => ({ raw: body, status, headers: { 'content-type': 'text/html' } });

describe('token responses that are not token responses', () => {
  it('refuses an HTML page with status 200: invalid_response', async () => {
    expectFailed(await exchangeWith(() => html(200, '<html><body>Welcome! <a href="/">home</a></body></html>')), 'invalid_response');
  });

  it('refuses an HTML error page with status 500: server_error', async () => {
    expectFailed(await exchangeWith(() => html(500, '<h1>Internal Server Error</h1>')), 'server_error');
  });

  it('refuses truncated JSON: invalid_response', async () => {
    expectFailed(await exchangeWith((c) => ({ raw: JSON.stringify(c.valid).slice(0, 40) })), 'invalid_response');
  });

  it('refuses a token response of megabytes: an error, not a buffer of it', async () => {
    const r = await exchangeWith((c) => ({ ...c.valid, padding: 'x'.repeat(3 * 1024 * 1024) }));
    expect(['invalid_response', 'server_error']).toContain(r.run.code_);
    expectFailed(r, r.run.code_!);
  });

  it('refuses a response without access_token: invalid_response', async () => {
    expectFailed(await exchangeWith(({ valid: { access_token: _, ...rest } }) => rest), 'invalid_response');
  });

  it('refuses an empty or non-string access_token: invalid_response', async () => {
    expectFailed(await exchangeWith((c) => ({ ...c.valid, access_token: '' })), 'invalid_response');
    expectFailed(await exchangeWith((c) => ({ ...c.valid, access_token: { value: 'x' } })), 'invalid_response');
  });
});

describe('token_type', () => {
  it('refuses a token_type other than Bearer (mac): invalid_response, never sent as Bearer later', async () => {
    expectFailed(await exchangeWith((c) => ({ ...c.valid, token_type: 'mac' })), 'invalid_response');
  });

  it('refuses a DPoP-bound token it sent no proof for: invalid_response, never printed as Bearer', async () => {
    expectFailed(await exchangeWith((c) => ({ ...c.valid, token_type: 'DPoP' })), 'invalid_response');
  });

  it('refuses a missing token_type: invalid_response', async () => {
    expectFailed(await exchangeWith(({ valid: { token_type: _, ...rest } }) => rest), 'invalid_response');
  });

  it('accepts Bearer in any case (RFC 6749 §5.1: case-insensitive)', async () => {
    const { run } = await exchangeWith((c) => ({ ...c.valid, token_type: 'BEARER' }));
    expect(run.code).toBe(0);
  });
});

describe('expires_in', () => {
  it('refuses a negative expires_in: invalid_response', async () => {
    expectFailed(await exchangeWith((c) => ({ ...c.valid, expires_in: -3600 })), 'invalid_response');
  });

  it('refuses a non-numeric expires_in: invalid_response', async () => {
    expectFailed(await exchangeWith((c) => ({ ...c.valid, expires_in: 'soon' })), 'invalid_response');
  });

  it('caps a huge expires_in at a year, so the token is not cached for ever', async () => {
    const { run } = await exchangeWith((c) => ({ ...c.valid, expires_in: 1e15 }));
    expect(run.code).toBe(0);
    const t = await runCli(['token', '--json'], { env: { XDG_CONFIG_HOME: run.config } });
    const expiresIn = (JSON.parse(t.stdout) as { expires_in: number }).expires_in;
    expect(expiresIn).toBeGreaterThan(360 * 24 * 3600);
    expect(expiresIn).toBeLessThanOrEqual(366 * 24 * 3600);
  });
});

describe('ID tokens that were not issued for this sign-in', () => {
  it('refuses an ID token with the wrong nonce (replayed from another sign-in): invalid_id_token', async () => {
    expectFailed(await exchangeWith((c) => ({ ...c.valid, id_token: c.idToken({ nonce: 'nonce-of-another-sign-in' }) })), 'invalid_id_token');
  });

  it('refuses an ID token without the nonce that was sent: invalid_response (a required claim is missing)', async () => {
    expectFailed(await exchangeWith((c) => ({ ...c.valid, id_token: c.idToken({ nonce: undefined }) })), 'invalid_response');
  });

  it('refuses an ID token for another audience: invalid_id_token', async () => {
    expectFailed(await exchangeWith((c) => ({ ...c.valid, id_token: c.idToken({ aud: 'another-client' }) })), 'invalid_id_token');
  });

  it('refuses an ID token from another issuer: invalid_id_token', async () => {
    expectFailed(await exchangeWith((c) => ({ ...c.valid, id_token: c.idToken({ iss: 'https://evil.example.com' }) })), 'invalid_id_token');
  });

  it('refuses an expired ID token: invalid_id_token', async () => {
    const past = Math.floor(Date.now() / 1000) - 7200;
    expectFailed(await exchangeWith((c) => ({ ...c.valid, id_token: c.idToken({ iat: past - 600, exp: past }) })), 'invalid_id_token');
  });

  it('refuses an ID token signed with a key the server never published (forged): invalid_id_token', async () => {
    expectFailed(await exchangeWith((c) => ({ ...c.valid, id_token: c.idToken({}, foreignKey) })), 'invalid_id_token');
  });

  it('refuses an ID token whose signature was cut off: invalid_id_token or invalid_response', async () => {
    const r = await exchangeWith((c) => ({ ...c.valid, id_token: `${c.idToken({}).split('.').slice(0, 2).join('.')}.` }));
    expect(['invalid_id_token', 'invalid_response']).toContain(r.run.code_);
    expectFailed(r, r.run.code_!);
  });

  it('refuses an unsigned ID token (alg none): invalid_response', async () => {
    const r = await exchangeWith((c) => {
      const [, payload] = c.idToken({}).split('.');
      return { ...c.valid, id_token: c.remember(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`) };
    });
    expect(['invalid_id_token', 'invalid_response']).toContain(r.run.code_);
    expectFailed(r, r.run.code_!);
  });

  it('refuses a missing ID token when openid was asked for: invalid_response', async () => {
    expectFailed(await exchangeWith(({ valid: { id_token: _, ...rest } }) => rest), 'invalid_response');
  });

  it('signs in with a correctly signed ID token (control for the forged one)', async () => {
    const { s, run } = await exchangeWith((c) => ({ ...c.valid, id_token: c.remember(signJwt(JSON.parse(Buffer.from(c.idToken({}).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>)) }));
    expect(run.code).toBe(0);
    expect(secretLeaks(run, s.secrets)).toEqual([]);
  });
});

describe('error responses built to attack the tab and the terminal', () => {
  const description = '<script>alert(document.cookie)</script><img src=x onerror=alert(1)>\u001b]0;owned\u0007\u001b[2J\u001b[31mRED\r\nloopauth: ok: fake line\u009b31m';

  it('shows the server’s error code, the description escaped on the page and stripped of control characters on the terminal', async () => {
    const r = await exchangeWith(() => ({ error: 'invalid_grant', error_description: description }));
    expectFailed(r, 'invalid_grant');
    expect(r.run.stderr).not.toMatch(terminalControls);
    expect(r.run.stderr.split('\n').filter((l) => l.startsWith('loopauth: '))).toHaveLength(1);
    expect(r.run.page?.body).not.toContain('<script>');
    expect(r.run.page?.body).not.toContain('<img');
    expect(r.run.page?.body).toContain('&#60;script&#62;');
  });

  it('does not take an error value with markup or escapes as its code: server_error', async () => {
    const r = await exchangeWith(() => ({ error: '<b>\u001b[31mpwned</b>', error_description: 'x' }));
    expectFailed(r, 'server_error');
    expect(r.run.stderr).not.toContain('\u001b');
    expect(r.run.page?.body).not.toContain('<b>');
  });

  it('caps an error description of megabytes to a line a person can read', async () => {
    const r = await exchangeWith(() => ({ error: 'invalid_request', error_description: 'A'.repeat(200_000) }));
    expectFailed(r, 'invalid_request');
    expect(r.run.stderr.length).toBeLessThan(5000);
  });
});

describe('a JWKS endpoint that lies or says nothing', () => {
  it('refuses the sign-in when the JWKS is not JSON: the ID token cannot be checked, nothing saved', async () => {
    const s = await hostile({ routes: { '/jwks': (_q, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [') } });
    const run = await loginAgainst(s);
    expect(run.code).toBe(1);
    expect(['invalid_id_token', 'invalid_response']).toContain(run.code_);
    expect(run.saved).toEqual([]);
  });

  it('ends with timeout within --timeout when the JWKS never comes', async () => {
    const s = await hostile({ routes: { '/jwks': () => new Promise<void>(() => undefined) } });
    const run = await loginAgainst(s, ['--timeout', '3']);
    expect(run.code_).toBe('timeout');
    expect(run.durationMs).toBeLessThan(5500);
    expect(run.saved).toEqual([]);
  });
});

describe('a token endpoint that redirects', () => {
  it('does not follow a 307 to another server: the code, verifier and client secret never get there', async () => {
    const evil = await hostile({});
    const s = await hostile({
      routes: { '/token': (_req, res) => void res.writeHead(307, { location: `${evil.issuer}/token` }).end() },
    });
    const run = await loginAgainst(s, [], { LOOPAUTH_CLIENT_SECRET: 'client-secret-never-redirected' });
    expect(run.code).toBe(1);
    expect(['invalid_response', 'server_error']).toContain(run.code_);
    expect(evil.requests).toEqual([]);
    expect(run.saved).toEqual([]);
  });
});

describe('a token endpoint that never answers', () => {
  it('ends with timeout within --timeout, the tab gets an error page, nothing is saved', async () => {
    const s = await hostile({ routes: { '/token': () => new Promise<void>(() => undefined) } });
    const run = await loginAgainst(s, ['--timeout', '3']);
    expect(run.code_).toBe('timeout');
    expect(run.code).toBe(1);
    expect(run.durationMs).toBeLessThan(5500);
    expect(run.saved).toEqual([]);
  });
});

describe('a refresh answered with an unusable access token', () => {
  it('fails token with invalid_response but keeps the rotated refresh token, so the next refresh spends the new one', async () => {
    let mode: 'login' | 'unusable' | 'fine' = 'login';
    const presented: (string | undefined)[] = [];
    const issued: string[] = [];
    const s = await hostile({
      token: (c) => {
        if (c.refreshToken) presented.push(c.refreshToken);
        issued.push(c.valid.refresh_token as string);
        if (mode === 'login') return { ...c.valid, expires_in: 1 };
        return mode === 'unusable' ? { ...c.valid, token_type: 'DPoP' } : c.valid;
      },
    });
    const run = await loginAgainst(s);
    expect(run.code).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    mode = 'unusable';
    const refused = await runCli(['token'], { env: { XDG_CONFIG_HOME: run.config } });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    mode = 'fine';
    const next = await runCli(['token'], { env: { XDG_CONFIG_HOME: run.config } });
    expect(next.code).toBe(0);
    expect(presented).toEqual([issued[0], issued[1]]); // the second refresh used the token the refused answer rotated in
  });
});
