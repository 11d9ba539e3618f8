import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LoopauthError } from '../src/errors.js';
import { FileStore, KeychainStore, MemoryStore } from '../src/store/index.js';
import { secretStoreContract } from './support/store-contract.js';

const runId = `${process.pid}-${randomBytes(4).toString('hex')}`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'loopauth-store-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function failure(work: () => Promise<unknown>): Promise<LoopauthError> {
  const e: unknown = await work().then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(LoopauthError);
  return e as LoopauthError;
}

/** Whether a Secret Service answers here, probed with a throwaway service name. */
async function keychainAnswers(): Promise<boolean> {
  try {
    await new KeychainStore({ service: `loopauth-test-probe-${runId}`, timeout: 5 }).check();
    return true;
  } catch {
    return false;
  }
}
const realKeychain = await keychainAnswers();

const memory = new MemoryStore();
secretStoreContract('MemoryStore', () => memory);
secretStoreContract('FileStore', () => new FileStore({ directory: path.join(tmp, 'contract') }));
describe.runIf(realKeychain)('with a Secret Service', () => {
  secretStoreContract('KeychainStore', () => new KeychainStore({ service: `loopauth-test-${runId}` }));
});

describe('FileStore', () => {
  let dir: string;
  let store: FileStore;
  const file = (key: string): string => path.join(dir, `${key}.secret`);
  const mode = (p: string): number => statSync(p).mode & 0o777;

  beforeEach(() => {
    dir = path.join(mkdtempSync(path.join(tmp, 'file-')), 'secrets');
    store = new FileStore({ directory: dir });
  });

  it.each(['', '../escape', 'a/b', '.hidden', 'with space', 'x'.repeat(201)])('refuses the key %j as misuse', async (bad) => {
    await expect(store.set(bad, 'v')).rejects.toThrow(TypeError);
    await expect(store.get(bad)).rejects.toThrow(TypeError);
  });

  it('creates its folder with mode 0700 and files with mode 0600', async () => {
    await store.set('default.refresh_token', 'rt');
    expect(mode(dir)).toBe(0o700);
    expect(mode(file('default.refresh_token'))).toBe(0o600);
  });

  it('narrows a file that was made readable by others back to 0600 on the next write', async () => {
    await store.set('k', 'v1');
    chmodSync(file('k'), 0o644);
    await store.set('k', 'v2');
    expect(mode(file('k'))).toBe(0o600);
  });

  it('leaves no temporary files behind', async () => {
    for (let i = 0; i < 5; i++) await store.set('k', `v${i}`);
    await store.set('other', 'x');
    expect(readdirSync(dir).sort()).toEqual(['k.secret', 'other.secret']);
  });

  it('leaves one whole value when writes race', async () => {
    const values = Array.from({ length: 20 }, (_, i) => String(i).repeat(4096));
    await Promise.all(values.map((v) => store.set('k', v)));
    expect(values).toContain(await store.get('k'));
    expect(readdirSync(dir)).toEqual(['k.secret']);
  });

  describe('with a symlink planted at a secret file', () => {
    let target: string;
    beforeEach(async () => {
      await store.check();
      target = path.join(path.dirname(dir), 'victim.txt');
      writeFileSync(target, 'victim content');
      symlinkSync(target, file('k'));
    });

    it('does not read through it: store_failed', async () => {
      expect((await failure(() => store.get('k'))).code).toBe('store_failed');
    });

    it('replaces the link itself on write, leaving its target as it was', async () => {
      await store.set('k', 'new secret');
      expect(lstatSync(file('k')).isSymbolicLink()).toBe(false);
      expect(readFileSync(file('k'), 'utf8')).toBe('new secret');
      expect(readFileSync(target, 'utf8')).toBe('victim content');
    });

    it('removes the link itself on delete, leaving its target', async () => {
      expect(await store.delete('k')).toBe(true);
      expect(readFileSync(target, 'utf8')).toBe('victim content');
    });
  });

  it('refuses a FIFO planted at a secret file with store_failed instead of waiting for a writer', async () => {
    await store.set('other', 'v'); // makes the folder
    execFileSync('mkfifo', [file('k')]);
    const started = Date.now();
    expect((await failure(() => store.get('k'))).code).toBe('store_failed');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('fails with store_failed when a folder sits where a secret file goes', async () => {
    mkdirSync(file('k'), { recursive: true });
    expect((await failure(() => store.get('k'))).code).toBe('store_failed');
    expect((await failure(() => store.set('k', 'v'))).code).toBe('store_failed');
  });

  it('fails with store_failed, in check() and set(), when its folder cannot be made', async () => {
    const blocker = path.join(tmp, `blocker-${randomBytes(3).toString('hex')}`);
    writeFileSync(blocker, '');
    const blocked = new FileStore({ directory: path.join(blocker, 'secrets') });
    expect((await failure(() => blocked.check())).code).toBe('store_failed');
    expect((await failure(() => blocked.set('k', 'v'))).code).toBe('store_failed');
  });
});

const childSecret = `child-secret-${runId}`;

/** Regular files under `dir` whose content holds `text`. */
function filesHolding(dir: string, text: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile() && readFileSync(f, 'utf8').includes(text));
}

/** Runs KeychainStore (from the build) in a child process with `env`; resolves with what each call did. */
function keychainInChild(env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const dist = pathToFileURL(path.resolve('dist/store/keychain.js')).href;
  const script = `
    const { KeychainStore } = await import(${JSON.stringify(dist)});
    const store = new KeychainStore({ service: ${JSON.stringify(`loopauth-test-nobus-${runId}`)}, timeout: 5 });
    const out = {};
    for (const [name, call] of [['get', () => store.get('k')], ['set', () => store.set('k', ${JSON.stringify(childSecret)})], ['delete', () => store.delete('k')]]) {
      out[name] = await call().then(() => 'ok', (e) => e.name + ':' + e.code);
    }
    console.log(JSON.stringify(out));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { env, timeout: 30_000 }, (err, stdout) => {
      if (err) reject(new Error(`the child failed: ${err.message}`));
      else resolve(JSON.parse(stdout) as Record<string, string>);
    });
  });
}

describe('KeychainStore', () => {
  it.runIf(process.platform === 'linux')('fails with keychain_unavailable, and writes nothing elsewhere, when no session bus is set', async () => {
    if (statSync('dist/store/keychain.js').mtimeMs < statSync('src/store/keychain.ts').mtimeMs) {
      throw new Error('dist/ is older than src/: run `npx tsc -p tsconfig.build.json` (npm test does) first');
    }
    const home = mkdtempSync(path.join(tmp, 'home-'));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local') };
    for (const name of ['DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'DISPLAY', 'WAYLAND_DISPLAY']) delete env[name];
    const result = await keychainInChild(env);
    expect(result).toEqual({ get: 'LoopauthError:keychain_unavailable', set: 'LoopauthError:keychain_unavailable', delete: 'LoopauthError:keychain_unavailable' });
    expect(filesHolding(home, childSecret)).toEqual([]);
  });

  it.runIf(process.env.LOOPAUTH_IN_KEYRING !== undefined)('answers under scripts/with-keyring.sh, so the contract suite ran against it', () => {
    expect(realKeychain).toBe(true);
  });

  it.runIf(!process.env.DBUS_SESSION_BUS_ADDRESS && process.platform === 'linux')('fails with keychain_unavailable in this process, which has no session bus', async () => {
    const store = new KeychainStore({ service: `loopauth-test-${runId}`, timeout: 5 });
    expect((await failure(() => store.get('k'))).code).toBe('keychain_unavailable');
    expect((await failure(() => store.check())).code).toBe('keychain_unavailable');
  });

  describe.runIf(realKeychain)('with a Secret Service', () => {
    const services = [`loopauth-test-a-${runId}`, `loopauth-test-b-${runId}`];
    afterEach(async () => {
      for (const service of services) await new KeychainStore({ service }).delete('k');
    });

    it('keeps apps apart: one service never sees another one\'s entries', async () => {
      const [a, b] = services.map((service) => new KeychainStore({ service }));
      await a!.set('k', 'app a');
      expect(await b!.get('k')).toBeUndefined();
      await b!.set('k', 'app b');
      expect(await a!.get('k')).toBe('app a');
    });

    it('passes check() and leaves no probe entry behind', async () => {
      const store = new KeychainStore({ service: services[0] });
      await store.check();
      expect(await store.get('.loopauth-check')).toBeUndefined();
    });
  });
});
