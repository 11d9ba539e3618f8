/**
 * getUserInfo(): an app asks the server about the signed-in person with the
 * profile's access token, on the metadata saved at login. A real
 * oidc-provider on loopback, real headless Chromium signing in.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getUserInfo, login, MemoryStore } from '../../src/index.js';
import { signInWithBrowser } from '../helpers/browser.mjs';
import { removeTempConfigDirs, tempConfigDir } from '../helpers/cli.mjs';
import { useServerAndBrowser } from '../support/real-parts.js';

let config: string;
beforeAll(async () => { config = await tempConfigDir(); });
afterAll(removeTempConfigDirs);
const real = useServerAndBrowser();

/** A signed-in profile of its own; `store` holds its secrets. */
async function signedIn(profile: string) {
  const store = new MemoryStore();
  const options = { store, profile, env: { XDG_CONFIG_HOME: config } };
  await login({
    ...options,
    issuer: real.server.issuer,
    clientId: 'demo-cli',
    scopes: 'openid offline_access profile email',
    openBrowser: async (url) => {
      await signInWithBrowser(real.browser, url); // login does not wait for it; the test does, before the browser closes
    },
  });
  const profileFile = path.join(config, 'loopauth', 'profiles', `${profile}.json`);
  /** Rewrites the saved profile data, as a stale or tampered file would be. */
  const editProfile = async (edit: (data: Record<string, unknown>) => void) => {
    const data = JSON.parse(await readFile(profileFile, 'utf8')) as Record<string, unknown>;
    edit(data);
    await writeFile(profileFile, JSON.stringify(data));
  };
  return { store, options, editProfile };
}

describe('getUserInfo', () => {
  it('returns the signed-in person\'s claims, on the saved metadata (no discovery again)', async () => {
    const { options } = await signedIn('plain');
    real.server.clearRequests();
    const claims = await getUserInfo(options);
    expect(claims).toMatchObject({ sub: real.server.user.sub, name: real.server.user.name, email: real.server.user.email });
    expect(real.server.requests.map((r) => r.path)).toEqual(['/me']);
  });

  it('refuses an answer about someone else than the subject of the sign-in', async () => {
    const { options, editProfile } = await signedIn('other-sub');
    await editProfile((data) => {
      data.subject = 'somebody-else';
    });
    await expect(getUserInfo(options)).rejects.toMatchObject({ name: 'LoopauthError', code: 'invalid_response' });
  });

  it('refreshes once when the server refuses the access token (revoked before its expiry), then answers', async () => {
    const { store, options } = await signedIn('revoked');
    const secrets = JSON.parse((await store.get('revoked'))!) as Record<string, unknown>;
    await store.set('revoked', JSON.stringify({ ...secrets, access_token: `revoked-${'x'.repeat(40)}` }));
    real.server.clearRequests();
    expect(await getUserInfo(options)).toMatchObject({ sub: real.server.user.sub });
    expect(real.server.requests.map((r) => [r.path, r.status])).toEqual([['/me', 401], ['/token', 200], ['/me', 200]]);
  });

  it('fails with login_required when the refused token cannot be renewed either (a refused refresh token), without a token in the error', async () => {
    const { store, options } = await signedIn('bad-token');
    const secrets = JSON.parse((await store.get('bad-token'))!) as Record<string, unknown>;
    const bogus = { access_token: `not-a-token-${'x'.repeat(40)}`, refresh_token: `not-a-refresh-token-${'y'.repeat(40)}` };
    await store.set('bad-token', JSON.stringify({ ...secrets, ...bogus }));
    const error = await getUserInfo(options).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'LoopauthError', code: 'login_required' });
    const text = JSON.stringify({ message: (error as Error).message, cause: (error as Error).cause });
    for (const token of Object.values(bogus)) expect(text).not.toContain(token);
  });

  it('says so when the server has no userinfo endpoint, and asks nothing', async () => {
    const { options, editProfile } = await signedIn('no-endpoint');
    await editProfile((data) => {
      delete (data.server as Record<string, unknown>).userinfo_endpoint;
    });
    real.server.clearRequests();
    await expect(getUserInfo(options)).rejects.toMatchObject({ code: 'userinfo_unsupported' });
    expect(real.server.requests).toEqual([]);
  });

  it('rejects with login_required without a session', async () => {
    await expect(getUserInfo({ profile: 'nobody', store: new MemoryStore(), env: { XDG_CONFIG_HOME: config } })).rejects.toMatchObject({ code: 'login_required' });
  });
});
