/**
 * Refresh tokens are never spent twice or lost: many `loopauth token`
 * processes at once on an expired access token make one refresh, against an
 * oidc-provider that rotates refresh tokens and revokes the grant on reuse.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signInWithBrowser } from '../helpers/browser.mjs';
import { removeTempConfigDirs, runCli, startCli, startLogin, tempConfigDir } from '../helpers/cli.mjs';
import { lastLine } from '../support/output.js';
import { useServerAndBrowser } from '../support/real-parts.js';
import { trustCaInProcess } from '../helpers/tls.mjs';
import { getAccessToken } from '../../src/index.js';

const real = useServerAndBrowser({ server: { https: true, rotateRefreshTokens: true } });
afterAll(removeTempConfigDirs);

/** A signed-in profile in the file store, in a config folder of its own. */
async function signedIn(): Promise<Record<string, string>> {
  const e = { XDG_CONFIG_HOME: await tempConfigDir(), NODE_EXTRA_CA_CERTS: real.server.caFile! };
  const { cli, url } = await startLogin(real.server.issuer, ['--store', 'file'], { env: e });
  await signInWithBrowser(real.browser, url);
  expect((await cli.waitForExit()).code).toBe(0);
  return e;
}

function secretFile(e: Record<string, string>): string {
  const dir = path.join(e.XDG_CONFIG_HOME!, 'loopauth', 'secrets');
  return path.join(dir, readdirSync(dir).find((f) => f.endsWith('.secret'))!);
}

function secrets(e: Record<string, string>): { refresh_token: string; access_token: string; expires_at: number } {
  return JSON.parse(readFileSync(secretFile(e), 'utf8')) as { refresh_token: string; access_token: string; expires_at: number };
}

/** Moves the cached access token's expiry into the past, as an hour of waiting would. */
function expireAccessToken(e: Record<string, string>): void {
  writeFileSync(secretFile(e), JSON.stringify({ ...secrets(e), expires_at: Math.floor(Date.now() / 1000) - 10 }));
}

const refreshes = (): number => real.server.tokenRequests().filter((q) => q.grantType === 'refresh_token').length;

describe('concurrent token processes on an expired access token', () => {
  it.each([8, 32])('%i processes make exactly one refresh, all print the same token, and the grant survives', async (n) => {
    const e = await signedIn();
    expireAccessToken(e);
    real.server.clearRequests();
    const runs = await Promise.all(Array.from({ length: n }, () => runCli(['token'], { env: e, timeoutMs: 60_000 })));
    expect(runs.map((r) => r.code)).toEqual(Array(n).fill(0));
    expect(refreshes()).toBe(1);
    const printed = new Set(runs.map((r) => r.stdout));
    expect(printed.size).toBe(1);
    expect([...printed][0]).toBe(`${secrets(e).access_token}\n`);
    // Reuse detection would have revoked the grant: a later refresh still succeeds.
    expect((await runCli(['token', '--min-ttl', '7200'], { env: e })).code).toBe(0);
  });
});

describe('a process killed while it holds the lock', () => {
  it('does not block the next token for more than 10 s, and the grant is still usable', async () => {
    const e = await signedIn();
    real.server.setDelay(30_000, { path: '/token' });
    const stuck = startCli(['token', '--min-ttl', '7200'], { env: e });
    await new Promise((r) => setTimeout(r, 1000)); // it holds the lock and waits on the server
    stuck.kill('SIGKILL');
    await stuck.waitForExit().catch(() => undefined);
    real.server.setDelay(0);
    const r = await runCli(['token', '--min-ttl', '7200'], { env: e, timeoutMs: 20_000 });
    expect(r.code).toBe(0);
    // The same command again, with no lock left behind: what it takes without the wait (node's
    // start-up and a refresh, seconds of it on a busy machine), which is not the lock's doing.
    const unhindered = await runCli(['token', '--min-ttl', '7200'], { env: e, timeoutMs: 20_000 });
    expect(unhindered.code).toBe(0);
    expect(r.durationMs - unhindered.durationMs).toBeLessThan(10_000);
  });
});

describe('invalid_grant on refresh', () => {
  it('with the current refresh token: exit 3 login_required and the profile’s secrets are gone', async () => {
    const e = await signedIn();
    real.server.setTokenFault((q) => (q.grantType === 'refresh_token' ? { status: 400, body: { error: 'invalid_grant' } } : undefined));
    try {
      const r = await runCli(['token', '--min-ttl', '7200'], { env: e });
      expect(r.code).toBe(3);
      expect(lastLine(r.stderr)).toMatch(/^loopauth: login_required: /);
      expect(readdirSync(path.join(e.XDG_CONFIG_HOME!, 'loopauth', 'secrets')).filter((f) => f.endsWith('.secret'))).toEqual([]);
      expect((await runCli(['status'], { env: e })).code).toBe(3);
    } finally {
      real.server.setTokenFault(null);
    }
  });

  it('after another process replaced the stored refresh token: no logout, the replacement is used', async () => {
    const e = await signedIn();
    expireAccessToken(e);
    const replaced = { ...secrets(e), refresh_token: 'replaced-by-another-process', access_token: 'fresh-from-another-process', expires_at: Math.floor(Date.now() / 1000) + 3600 };
    real.server.setTokenFault((q) => {
      if (q.grantType !== 'refresh_token') return undefined;
      // While our refresh is in flight, "another process" saves its rotated grant.
      writeFileSync(secretFile(e), JSON.stringify(replaced));
      return { status: 400, body: { error: 'invalid_grant' } };
    });
    try {
      const r = await runCli(['token'], { env: e });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('fresh-from-another-process\n');
      expect(secrets(e).refresh_token).toBe('replaced-by-another-process');
    } finally {
      real.server.setTokenFault(null);
    }
  });

  it('a 503 or an unreachable server deletes nothing: the next token works', async () => {
    const e = await signedIn();
    const before = secrets(e);
    real.server.setTokenFault((q) => (q.grantType === 'refresh_token' ? { status: 503, body: { error: 'temporarily_unavailable' } } : undefined));
    try {
      const r = await runCli(['token', '--min-ttl', '7200'], { env: e });
      expect(r.code).toBe(1);
    } finally {
      real.server.setTokenFault(null);
    }
    expect(secrets(e)).toEqual(before);
    expect((await runCli(['token', '--min-ttl', '7200'], { env: e })).code).toBe(0);
  });
});

describe('concurrent getAccessToken() calls in one process', () => {
  it('make one refresh for 50 calls on an expired access token', async () => {
    const e = await signedIn();
    expireAccessToken(e);
    real.server.clearRequests();
    const untrust = await trustCaInProcess(real.server.ca!);
    try {
      const env = { ...process.env, XDG_CONFIG_HOME: e.XDG_CONFIG_HOME };
      const tokens = await Promise.all(Array.from({ length: 50 }, () => getAccessToken({ env })));
      expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
      expect(refreshes()).toBe(1);
    } finally {
      untrust();
    }
  });
});

describe('a token process killed at each step of a refresh (fault-injection hook LOOPAUTH_TEST_FAULT_KILL_AT)', () => {
  it.each(['before_request', 'after_write'])('killed %s: the next token succeeds with the saved grant', async (step) => {
    const e = await signedIn();
    expireAccessToken(e);
    const killed = await runCli(['token'], { env: { ...e, LOOPAUTH_TEST_FAULT_KILL_AT: step } });
    expect(killed.signal).toBe('SIGKILL');
    const next = await runCli(['token'], { env: e });
    expect(next.code).toBe(0);
    expect(next.stdout.trim()).toBe(secrets(e).access_token);
    expect((await runCli(['token', '--min-ttl', '7200'], { env: e })).code).toBe(0);
  });

  it('killed after the server rotated but before the write: the store is intact and the next call ends cleanly', async () => {
    const e = await signedIn();
    expireAccessToken(e);
    const before = secrets(e);
    const killed = await runCli(['token'], { env: { ...e, LOOPAUTH_TEST_FAULT_KILL_AT: 'after_response' } });
    expect(killed.signal).toBe('SIGKILL');
    expect(secrets(e).refresh_token).toBe(before.refresh_token); // old or new, never torn
    // The server has rotated (and detects reuse of the old token): login is required, stated plainly.
    const next = await runCli(['token'], { env: e });
    expect([0, 3]).toContain(next.code);
    if (next.code === 3) expect(lastLine(next.stderr)).toMatch(/^loopauth: login_required: /);
  });
});
