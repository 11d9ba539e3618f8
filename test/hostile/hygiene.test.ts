/**
 * Secrets hygiene: a whole session (login with a client secret, token in
 * every format, a refresh, status, logout, with --verbose on) against a
 * hostile server that remembers every code, token and verifier it handed out
 * or was sent; then failures where the server echoes those secrets back in
 * its error description. No secret may appear in stdout/stderr (except the
 * access token on `token`'s stdout), in the argv of anything launched, in any
 * file under the config folder but the secret store, or in a thrown error
 * and its cause chain.
 */
import { describe, expect, it } from 'vitest';
import { login } from '../../src/index.js';
import { LoopauthError } from '../../src/errors.js';
import { runCli, tempConfigDir } from '../helpers/cli.mjs';
import { everythingIn, expectNotIn } from './support/secrets.js';
import { hostileServers } from './support/servers.js';
import type { HostileOptions } from './support/server.js';
import { loginAgainst, secretLeaks } from './support/server.run.js';
import type { HostileRun } from './support/server.run.js';
import { filesUnder } from '../support/system.js';

const clientSecret = 'client-secret-hygiene-0123456789';
const { hostile } = hostileServers();

/** A later command's output, checked like a login run (no launches; the files as they are now). */
async function command(args: string[], config: string): Promise<HostileRun> {
  const r = await runCli([...args, '--verbose'], { env: { XDG_CONFIG_HOME: config } });
  return { ...r, config, code_: undefined, launches: [], saved: filesUnder(config) };
}

describe('a whole session with --verbose', () => {
  it('keeps every code, token, verifier and the client secret out of output, argv and non-store files, from login to logout', async () => {
    const s = await hostile({ token: (c) => ({ ...c.valid, expires_in: 2 }) });
    const login = await loginAgainst(s, ['--verbose'], { LOOPAUTH_CLIENT_SECRET: clientSecret });
    expect(login.code).toBe(0);
    expect(login.stderr).toMatch(/discovery:/); // --verbose really spoke
    const secrets = [...s.secrets, clientSecret];
    expect(secretLeaks(login, secrets)).toEqual([]);

    const printed: string[] = [];
    for (const args of [['token'], ['token', '--json'], ['token', '--header'], ['status'], ['status', '--json']]) {
      const r = await command(args, login.config);
      expect(r.code).toBe(0);
      // `token` may print the access token on stdout, and nothing else secret.
      const accessTokens = s.secrets.filter((t) => r.stdout.includes(t));
      if (args[0] === 'token') printed.push(...accessTokens);
      else expect(accessTokens).toEqual([]);
      expect(secretLeaks({ ...r, stdout: args[0] === 'token' ? '' : r.stdout }, secrets)).toEqual([]);
    }
    // token, token --json and token --header each printed the access token, and only that.
    expect(printed).toHaveLength(3);
    expect(printed.every((t) => t.startsWith('at-'))).toBe(true);

    await new Promise((r) => setTimeout(r, 2100)); // the access token is spent: the next token refreshes
    const refreshed = await command(['token', '--min-ttl', '0'], login.config);
    expect(refreshed.code).toBe(0);
    const shown = s.secrets.filter((t) => refreshed.stdout.includes(t));
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatch(/^at-/);
    expect(secretLeaks({ ...refreshed, stdout: '' }, [...s.secrets, clientSecret])).toEqual([]);

    const out = await command(['logout', '--no-revoke'], login.config);
    expect(out.code).toBe(0);
    expect(secretLeaks(out, [...s.secrets, clientSecret])).toEqual([]);
    expect(out.saved.filter((f) => f.includes('secrets'))).toEqual([]);
  });
});

describe('a server that echoes the secrets it was sent back in its error', () => {
  const echo: HostileOptions['token'] = (c) => ({
    error: 'invalid_grant',
    error_description: `code ${c.code ?? ''} refused; verifier ${c.verifier ?? ''}; secret ${c.clientSecret ?? ''}`,
  });

  it('does not repeat them on the terminal or in the tab', async () => {
    const s = await hostile({ token: echo });
    const run = await loginAgainst(s, [], { LOOPAUTH_CLIENT_SECRET: clientSecret });
    expect(run.code_).toBe('invalid_grant');
    expect(secretLeaks(run, [...s.secrets, clientSecret])).toEqual([]);
    expect(secretLeaks({ ...run, stdout: run.page?.body ?? '' }, [...s.secrets, clientSecret])).toEqual([]);
  });

  it('does not repeat a refresh token the server echoes back when it refuses a refresh (token exits 3)', async () => {
    let refuse = false;
    const s = await hostile({
      token: (c) => (refuse ? { error: 'invalid_grant', error_description: `refresh token ${c.refreshToken ?? ''} is revoked` } : { ...c.valid, expires_in: 1 }),
    });
    const run = await loginAgainst(s, [], { LOOPAUTH_CLIENT_SECRET: clientSecret });
    expect(run.code).toBe(0);
    refuse = true;
    await new Promise((r) => setTimeout(r, 1100));
    const token = await command(['token'], run.config);
    expect(token.code).toBe(3);
    expect(token.stdout).toBe('');
    expect(secretLeaks(token, [...s.secrets, clientSecret])).toEqual([]);
  });

  it('does not carry them in the error login() rejects with, nor in its cause chain', async () => {
    await expectCleanRejection(echo, 'invalid_grant');
  });
});

describe('the error login() rejects with, for each kind of lie', () => {
  const lies: Record<string, [NonNullable<HostileOptions['token']>, string]> = {
    'HTML with status 200': [() => ({ raw: '<html>hi</html>', headers: { 'content-type': 'text/html' } }), 'invalid_response'],
    'no access_token': [({ valid: { access_token: _, ...rest } }) => rest, 'invalid_response'],
    'a token_type other than Bearer': [(c) => ({ ...c.valid, token_type: 'mac' }), 'invalid_response'],
    'a negative expires_in': [(c) => ({ ...c.valid, expires_in: -1 }), 'invalid_response'],
    'an ID token with the wrong nonce': [(c) => ({ ...c.valid, id_token: c.idToken({ nonce: 'other' }) }), 'invalid_id_token'],
    'an ID token with the wrong audience': [(c) => ({ ...c.valid, id_token: c.idToken({ aud: 'other' }) }), 'invalid_id_token'],
  };
  for (const [what, [token, code]] of Object.entries(lies)) {
    it(`rejects ${what} with a LoopauthError (${code}) that holds none of the tokens it was sent`, async () => {
      await expectCleanRejection(token, code);
    });
  }
});

/** login() against a server answering the exchange with `token`: the rejection and its cause chain hold no secret, nothing saved. */
async function expectCleanRejection(token: NonNullable<HostileOptions['token']>, code: string): Promise<void> {
  const s = await hostile({ token });
  const config = await tempConfigDir();
  const error = await login({
    issuer: s.issuer,
    clientId: 'hostile-cli',
    clientSecret,
    store: 'memory',
    env: { XDG_CONFIG_HOME: config },
    timeout: 10,
    // Plays the browser without holding up login(): the tab's answer comes only after the exchange.
    openBrowser: (url) => {
      void fetch(url, { redirect: 'manual' }).then((r) => fetch(r.headers.get('location')!)).catch(() => undefined);
    },
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LoopauthError);
  expect((error as LoopauthError).code).toBe(code);
  expect(s.tokenRequests()).toBe(1);
  const everything = everythingIn(error);
  for (const secret of [...s.secrets, clientSecret]) if (secret.length >= 8) expectNotIn(everything, secret, 'a secret the server sent, or the client secret,');
  expect(filesUnder(config)).toEqual([]);
}
