/**
 * The config folder lies: a corrupt or tampered profile file, a secret file
 * replaced by a symlink to another file. Against a hostile server that tells
 * the truth, so that only the disk is the attacker here.
 */
import { existsSync, lstatSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempConfigDir } from '../helpers/cli.mjs';
import { hostileServers } from './support/servers.js';
import { loginAgainst } from './support/server.run.js';
import { errorCodeOf } from '../support/output.js';

const { hostile } = hostileServers();

const profileOf = (config: string): string => path.join(config, 'loopauth', 'profiles', 'default.json');
const secretFileOf = (config: string): string => {
  const dir = path.join(config, 'loopauth', 'secrets');
  const [name] = readdirSync(dir).filter((f) => f.endsWith('.secret'));
  return path.join(dir, name!);
};

describe('a corrupt profile file', () => {
  for (const [what, text] of Object.entries({
    'truncated JSON': '{"version": 1, "issuer": "http://127.0.0.1',
    'binary garbage': '\u0000\u00ff\u00fe garbage \u001b[2J',
    'the wrong shapes': '{"version": 1, "issuer": 42, "clientId": [], "scopes": "openid"}',
  })) {
    it(`refuses a login over a profile of ${what} with profile_corrupt: the file is kept as it was, nothing launched or asked`, async () => {
      const s = await hostile();
      const config = await tempConfigDir();
      const file = profileOf(config);
      // status on an empty config folder: no profile (exit 3), and it writes nothing that the planted file could meet.
      const before = await runCli(['status'], { env: { XDG_CONFIG_HOME: config } });
      expect(before.code).toBe(3);
      expect(readdirSync(config, { recursive: true })).toEqual([]);
      const { mkdirSync } = await import('node:fs');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
      const run = await loginAgainst(s, [], {}, { config });
      expect(run.code_).toBe('profile_corrupt');
      expect(run.code).toBe(1);
      expect(run.launches).toEqual([]);
      expect(s.requests).toEqual([]);
      expect(readFileSync(file, 'utf8')).toBe(text);
      const token = await runCli(['token'], { env: { XDG_CONFIG_HOME: config } });
      expect(errorCodeOf(token.stderr)).toBe('profile_corrupt');
      expect(token.stdout).toBe('');
    });
  }

  it('does not repeat what a profile replaced by a symlink to another file holds', async () => {
    const config = await tempConfigDir();
    const file = profileOf(config);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.dirname(file), { recursive: true });
    const other = path.join(config, 'private-notes.txt');
    writeFileSync(other, 'the launch code is 0000-PRIVATE');
    symlinkSync(other, file);
    const r = await runCli(['status'], { env: { XDG_CONFIG_HOME: config } });
    expect(r.code).toBe(1);
    expect(errorCodeOf(r.stderr)).toBe('profile_corrupt');
    expect(r.stderr + r.stdout).not.toContain('PRIVATE');
  });

  it('refuses a profile whose token endpoint was changed to plain http on another host: the refresh token is never sent there', async () => {
    const s = await hostile({ token: (c) => ({ ...c.valid, expires_in: 1 }) });
    const run = await loginAgainst(s);
    expect(run.code).toBe(0);
    const file = profileOf(run.config);
    const data = JSON.parse(readFileSync(file, 'utf8')) as { server: Record<string, string> };
    data.server.token_endpoint = 'http://tokens.example.net/token';
    writeFileSync(file, JSON.stringify(data));
    await new Promise((r) => setTimeout(r, 1100));
    const token = await runCli(['token', '--min-ttl', '0'], { env: { XDG_CONFIG_HOME: run.config } });
    expect(token.code).toBe(1);
    expect(['profile_corrupt', 'insecure_url']).toContain(errorCodeOf(token.stderr));
    expect(token.stdout).toBe('');
  });
});

describe('the file store’s secret file replaced by a symlink to another file', () => {
  async function signedInWithPlantedLink() {
    const s = await hostile();
    const run = await loginAgainst(s);
    expect(run.code).toBe(0);
    const secretFile = secretFileOf(run.config);
    const other = path.join(run.config, 'someone-elses-file.txt');
    writeFileSync(other, 'precious, not loopauth’s\n');
    rmSync(secretFile);
    symlinkSync(other, secretFile);
    return { s, config: run.config, secretFile, other };
  }

  it('refuses to read secrets through it: token fails with store_failed and prints nothing on stdout', async () => {
    const { config, other } = await signedInWithPlantedLink();
    const token = await runCli(['token'], { env: { XDG_CONFIG_HOME: config } });
    expect(token.code).toBe(1);
    expect(errorCodeOf(token.stderr)).toBe('store_failed');
    expect(token.stdout).toBe('');
    expect(token.stderr).not.toContain('precious');
    expect(readFileSync(other, 'utf8')).toBe('precious, not loopauth’s\n');
  });

  it('replaces the link itself on the next login, leaving the other file untouched', async () => {
    const { s, config, secretFile, other } = await signedInWithPlantedLink();
    const again = await loginAgainst(s, [], {}, { config });
    expect(again.code).toBe(0);
    expect(lstatSync(secretFile).isSymbolicLink()).toBe(false);
    expect(readFileSync(other, 'utf8')).toBe('precious, not loopauth’s\n');
    expect((await runCli(['token'], { env: { XDG_CONFIG_HOME: config } })).code).toBe(0);
  });

  it('removes the link, not its target, on logout', async () => {
    const { config, secretFile, other } = await signedInWithPlantedLink();
    await runCli(['logout', '--no-revoke'], { env: { XDG_CONFIG_HOME: config } });
    expect(existsSync(secretFile)).toBe(false);
    expect(readFileSync(other, 'utf8')).toBe('precious, not loopauth’s\n');
  });
});
