/**
 * Values a server chooses that end up on the person's terminal: the ID
 * token's subject ("Signed in as ..."), the granted scope (status), a
 * registered client id. Built to attack the terminal with escape sequences.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.mjs';
import { hostileServers } from './support/servers.js';
import { terminalControls } from '../support/output.js';
import type { HostileServer } from './support/server.js';
import { loginAgainst, secretLeaks } from './support/server.run.js';

const { hostile } = hostileServers();

const escapes = '\u001b]0;owned\u0007\u001b[2J\u001b[1A\r\u009b31m';

describe('server-chosen values shown on the terminal', () => {
  it('shows a subject with terminal escape sequences without its control characters, in login and status', async () => {
    const s = await hostile({ token: (c) => ({ ...c.valid, id_token: c.idToken({ sub: `user${escapes}` }) }) });
    const run = await loginAgainst(s);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(terminalControls);
    const status = await runCli(['status'], { env: { XDG_CONFIG_HOME: run.config } });
    expect(status.code).toBe(0);
    expect(status.stdout + status.stderr).not.toMatch(terminalControls);
  });

  it('shows a granted scope with terminal escape sequences without its control characters in status', async () => {
    const s = await hostile({ token: (c) => ({ ...c.valid, scope: `openid offline_access ${escapes}` }) });
    const run = await loginAgainst(s);
    expect(run.code).toBe(0);
    const status = await runCli(['status'], { env: { XDG_CONFIG_HOME: run.config } });
    expect(status.code).toBe(0);
    expect(status.stdout + status.stderr).not.toMatch(terminalControls);
  });
});

describe('access tokens that would inject', () => {
  for (const [what, token] of Object.entries({
    'a CR/LF (a second header in curl -H "$(loopauth token --header)")': 'at-abc\r\nX-Injected: 1',
    'terminal escape sequences': 'at-abc\u001b]0;owned\u0007',
    'a space': 'at-abc def',
  })) {
    it(`refuses an access token with ${what}: invalid_response, nothing saved`, async () => {
      const s = await hostile({ token: (c) => ({ ...c.valid, access_token: c.remember(token) }) });
      const run = await loginAgainst(s);
      expect(run.code_).toBe('invalid_response');
      expect(run.code).toBe(1);
      expect(run.saved).toEqual([]);
    });
  }
});

describe('a dynamic client registration (RFC 7591) that lies', () => {
  async function registering(answer: Record<string, unknown>): Promise<HostileServer> {
    const s: HostileServer = await hostile({
      metadata: (base) => ({ registration_endpoint: `${base}/register` }),
      routes: {
        '/register': (_req, res) => void res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(answer)),
      },
    });
    return s;
  }

  it('keeps no client secret a server hands to a public client, in any file', async () => {
    const secret = 'registration-secret-0123456789';
    const s = await registering({ client_id: 'registered-cli', client_secret: secret, client_secret_expires_at: 0, token_endpoint_auth_method: 'none' });
    const run = await loginAgainst(s, [], {}, { register: true });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Signed in');
    expect(secretLeaks(run, [...s.secrets, secret])).toEqual([]);
  });

  it('shows a registered client id with escape sequences without its control characters in status', async () => {
    const s = await registering({ client_id: `reg${escapes}` });
    const run = await loginAgainst(s, [], {}, { register: true });
    // A login that failed, or a status without the profile, would show no client id at all.
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(terminalControls);
    const status = await runCli(['status'], { env: { XDG_CONFIG_HOME: run.config } });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/client id.*reg/);
    expect(status.stdout + status.stderr).not.toMatch(terminalControls);
  });

  it('refuses a registration without a client_id: invalid_response, nothing launched', async () => {
    const s = await registering({ client_name: 'no id here' });
    const run = await loginAgainst(s, [], {}, { register: true });
    expect(run.code_).toBe('invalid_response');
    expect(run.code).toBe(1);
    expect(run.launches).toEqual([]);
  });
});
