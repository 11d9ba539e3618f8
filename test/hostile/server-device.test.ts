/**
 * A device authorization response that lies (RFC 8628): the user code and
 * verification URLs are printed on the person's terminal, so they are input
 * built to attack it. A hostile server on loopback grants at the first poll.
 */
import { describe, expect, it } from 'vitest';
import { foreignKey } from './support/server.js';
import { hostileServers } from './support/servers.js';
import { terminalControls } from '../support/output.js';
import type { HostileOptions, HostileServer } from './support/server.js';
import { loginAgainst, secretLeaks } from './support/server.run.js';

const { hostile } = hostileServers();

/** A server whose device authorization endpoint answers `fields` over a valid response. */
async function deviceServer(fields: Record<string, unknown> = {}, token?: HostileOptions['token']): Promise<HostileServer> {
  const s = await hostile({
    ...(token ? { token } : {}),
    metadata: (base) => ({ device_authorization_endpoint: `${base}/device_authorization` }),
    routes: {
      '/device_authorization': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ device_code: 'device-code-0123456789', user_code: 'WDJB-MJHT', verification_uri: `${s.issuer}/device`, expires_in: 60, interval: 1, ...fields }));
      },
    },
  });
  return s;
}

describe('device authorization responses built to attack the terminal', () => {
  it('signs in with the device grant when the server tells the truth (control), printing the code and URL', async () => {
    const s = await deviceServer();
    const run = await loginAgainst(s, ['--flow', 'device']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('WDJB-MJHT');
    expect(run.stderr.split('\n')).toContain(`${s.issuer}/device`);
    expect(secretLeaks(run, [...s.secrets, 'device-code-0123456789'])).toEqual([]);
  });

  it('refuses a user code carrying terminal escape sequences: invalid_response, nothing of it on the terminal', async () => {
    const s = await deviceServer({ user_code: 'WDJB\u001b]0;owned\u0007\u001b[2J-MJHT' });
    const run = await loginAgainst(s, ['--flow', 'device']);
    expect(run.code_).toBe('invalid_response');
    expect(run.code).toBe(1);
    expect(run.stderr).not.toMatch(terminalControls);
    expect(run.saved).toEqual([]);
  });

  it('refuses a verification URL carrying terminal escape sequences: insecure_url, nothing of it on the terminal', async () => {
    const s = await deviceServer({ verification_uri: `http://127.0.0.1:9/device\u001b[2J\u001b]8;;https://evil.example.com\u0007` });
    const run = await loginAgainst(s, ['--flow', 'device']);
    expect(run.code_).toBe('insecure_url');
    expect(run.code).toBe(1);
    expect(run.stderr).not.toMatch(terminalControls);
  });

  it('refuses a javascript: verification URL: insecure_url', async () => {
    const s = await deviceServer({ verification_uri: 'javascript:alert(1)' });
    const run = await loginAgainst(s, ['--flow', 'device']);
    expect(run.code_).toBe('insecure_url');
    expect(run.code).toBe(1);
    expect(run.stderr).not.toContain('alert');
  });

  it('leaves out a verification_uri_complete that is not a safe http(s) URL, and still signs in with the plain one', async () => {
    const s = await deviceServer({ verification_uri_complete: 'javascript:alert(1)//\u001b[2J' });
    const run = await loginAgainst(s, ['--flow', 'device']);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('javascript:');
    expect(run.stderr).not.toMatch(terminalControls);
  });

  it('refuses an ID token signed with a key the server never published: invalid_id_token, nothing saved', async () => {
    const s = await deviceServer({}, (c) => ({ ...c.valid, id_token: c.idToken({}, foreignKey) }));
    const run = await loginAgainst(s, ['--flow', 'device']);
    expect(run.code_).toBe('invalid_id_token');
    expect(run.code).toBe(1);
    expect(run.saved).toEqual([]);
  });
});
