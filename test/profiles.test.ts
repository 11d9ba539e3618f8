import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LoopauthError } from '../src/errors.js';
import { deleteProfile, listProfileNames, profileFile, profileVersion, readProfile, writeProfile } from '../src/profiles.js';
import type { ProfileData } from '../src/profiles.js';

let root: string;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'loopauth-profiles-'));
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

const data: Omit<ProfileData, 'version' | 'updatedAt'> = {
  issuer: 'https://as.example',
  clientId: 'cli',
  scopes: ['openid', 'offline_access'],
  resource: ['https://api.example/'],
  subject: 'user-1',
  store: 'keychain',
  hasSession: true,
  authMethod: 'none',
  server: { issuer: 'https://as.example', token_endpoint: 'https://as.example/token', revocation_endpoint: 'https://as.example/revoke' },
};

/** Puts `text` in a profile's file as another program (or a newer loopauth) would. */
function plant(name: string, text: string): string {
  const file = profileFile(root, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

async function failure(work: () => unknown): Promise<LoopauthError> {
  const e: unknown = await Promise.resolve().then(work).then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(LoopauthError);
  return e as LoopauthError;
}

const mode = (p: string): number => statSync(p).mode & 0o777;

describe('reading a profile that is not usable', () => {
  it.each([
    ['not JSON', '{"version": 1, "issuer": '],
    ['JSON without a format version', JSON.stringify({ ...data })],
    ['JSON null', 'null'],
    ['an incomplete profile', JSON.stringify({ version: 1, issuer: 'https://as.example' })],
  ])('fails with profile_corrupt naming the file when it is %s', async (_what, text) => {
    const file = plant('work', text);
    const e = await failure(() => readProfile(root, 'work'));
    expect(e.code).toBe('profile_corrupt');
    expect(e.message).toContain(file);
  });

  it('fails with profile_unsupported_version for a newer format', async () => {
    plant('work', JSON.stringify({ ...data, version: profileVersion + 1, updatedAt: 'x' }));
    expect((await failure(() => readProfile(root, 'work'))).code).toBe('profile_unsupported_version');
  });

  it('fails with profile_corrupt when the profile path is not a file', async () => {
    mkdirSync(profileFile(root, 'work'), { recursive: true });
    expect((await failure(() => readProfile(root, 'work'))).code).toBe('profile_corrupt');
  });
});

describe('profiles on disk', () => {
  it('reads a profile that does not exist as undefined', () => {
    expect(readProfile(root, 'nobody')).toBeUndefined();
  });

  it('reads back what was written, with the format version and a time stamp', async () => {
    const written = await writeProfile(root, 'work', data);
    expect(written).toMatchObject({ ...data, version: profileVersion });
    expect(Date.parse(written.updatedAt)).not.toBeNaN();
    expect(readProfile(root, 'work')).toEqual(written);
  });

  it('replaces an older write of the same profile', async () => {
    await writeProfile(root, 'work', data);
    await writeProfile(root, 'work', { ...data, subject: 'user-2', hasSession: false });
    expect(readProfile(root, 'work')).toMatchObject({ subject: 'user-2', hasSession: false });
  });

  it('keeps profiles apart by name', async () => {
    await writeProfile(root, 'work', data);
    await writeProfile(root, 'home', { ...data, clientId: 'other' });
    expect(readProfile(root, 'work')?.clientId).toBe('cli');
    expect(readProfile(root, 'home')?.clientId).toBe('other');
  });

  it('writes files of mode 0600 in a new folder of mode 0700, and narrows a wider file', async () => {
    await writeProfile(root, 'work', data);
    const file = profileFile(root, 'work');
    expect(mode(file)).toBe(0o600);
    expect(mode(path.dirname(file))).toBe(0o700);
    chmodSync(file, 0o644);
    await writeProfile(root, 'work', data);
    expect(mode(file)).toBe(0o600);
  });

  it('leaves no temporary files behind', async () => {
    await Promise.all(['a', 'b', 'c'].map((n) => writeProfile(root, n, data)));
    await writeProfile(root, 'a', data);
    expect(readdirSync(path.dirname(profileFile(root, 'a'))).sort()).toEqual(['a.json', 'b.json', 'c.json']);
  });

  it('lists profile names sorted, ignoring other files', async () => {
    expect(await listProfileNames(root)).toEqual([]);
    await writeProfile(root, 'work', data);
    await writeProfile(root, 'home', data);
    plant('.hidden', '{}');
    writeFileSync(path.join(path.dirname(profileFile(root, 'x')), 'notes.txt'), 'x');
    expect(await listProfileNames(root)).toEqual(['home', 'work']);
  });

  it('deletes a profile: true the first time, false when there is none', async () => {
    await writeProfile(root, 'work', data);
    expect(await deleteProfile(root, 'work')).toBe(true);
    expect(await deleteProfile(root, 'work')).toBe(false);
    expect(readProfile(root, 'work')).toBeUndefined();
  });
});

describe('writing over a profile that is not usable', () => {
  it.each([
    ['of a newer format', JSON.stringify({ ...data, version: profileVersion + 1, updatedAt: 'x', future: { field: true } }, null, 4), 'profile_unsupported_version'],
    ['that is corrupt', '{"version": 1, "issuer": \u0000', 'profile_corrupt'],
  ])('refuses a file %s and leaves it byte for byte as it was', async (_what, text, code) => {
    const file = plant('work', text);
    const before = readFileSync(file);
    const e = await failure(() => writeProfile(root, 'work', data));
    expect(e.code).toBe(code);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(path.dirname(file))).toEqual(['work.json']);
  });

  it('fails with store_failed when the profiles folder cannot be made', async () => {
    symlinkSync(path.join(root, 'gone'), path.join(root, 'profiles')); // a dangling link where the folder goes
    expect((await failure(() => writeProfile(root, 'work', data))).code).toBe('store_failed');
    expect(existsSync(path.join(root, 'gone'))).toBe(false);
  });
});
