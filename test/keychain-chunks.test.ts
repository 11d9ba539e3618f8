import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { KeychainStore } from '../src/store/keychain.js';

interface Keytar {
  findCredentials(service: string): Promise<{ account: string; password: string }[]>;
}
const keytar = await import('keytar').then((m) => (m as unknown as { default: Keytar }).default).catch(() => undefined);
const hasKeychain = keytar !== undefined && Boolean(process.env.DBUS_SESSION_BUS_ADDRESS) && !process.env.LOOPAUTH_TEST_NODE24;
const services: string[] = [];
const service = (): string => {
  const name = `loopauth-chunks-${randomBytes(4).toString('hex')}`;
  services.push(name);
  return name;
};
const bigSecret = (n: number): string => randomBytes(n).toString('base64url').slice(0, n);

describe.skipIf(!hasKeychain)('keychain store with secrets of any size (real gnome-keyring)', () => {
  afterEach(async () => {
    for (const s of services.splice(0)) {
      const store = new KeychainStore({ service: s });
      for (const c of await keytar!.findCredentials(s)) await store.delete(c.account).catch(() => false);
    }
  });

  it('keeps a 16 KB value whole in one entry where the keychain has no limit', async () => {
    const store = new KeychainStore({ service: service() });
    const value = bigSecret(16 * 1024);
    await store.set('p', value);
    expect(await store.get('p')).toBe(value);
  });

  it('splits a 16 KB value into entries under Windows Credential Manager’s 2,560-byte limit and reads it back whole', async () => {
    const name = service();
    const store = new KeychainStore({ service: name, maxEntrySize: 800 });
    const value = `${bigSecret(16 * 1024)}é✓`;
    await store.set('p', value);
    const entries = await keytar!.findCredentials(name);
    expect(entries.length).toBeGreaterThan(20);
    for (const e of entries) expect(Buffer.byteLength(e.password, 'utf8')).toBeLessThanOrEqual(2560);
    expect(await store.get('p')).toBe(value);
  });

  it('leaves no entries of an older value behind after it is replaced by a smaller one, or deleted', async () => {
    const name = service();
    const store = new KeychainStore({ service: name, maxEntrySize: 800 });
    await store.set('p', bigSecret(5000));
    await store.set('p', bigSecret(4000));
    await store.set('p', 'small');
    expect(await store.get('p')).toBe('small');
    expect((await keytar!.findCredentials(name)).map((e) => e.account)).toEqual(['p']);
    expect(await store.delete('p')).toBe(true);
    expect(await keytar!.findCredentials(name)).toEqual([]);
    expect(await store.get('p')).toBeUndefined();
  });

  it('never shows a reader a mix of two values while a writer replaces a large one', async () => {
    const store = new KeychainStore({ service: service(), maxEntrySize: 500 });
    const a = 'a'.repeat(3000);
    const b = 'b'.repeat(3000);
    await store.set('p', a);
    let writing = true;
    const writes = (async () => {
      for (let i = 0; i < 5; i++) await store.set('p', i % 2 ? a : b);
    })().finally(() => (writing = false));
    // Every read compared whole: a torn read keeps the length and the first chunk's letter.
    const seen = new Set<string>();
    for (let reads = 0; writing || reads < 20; reads++) {
      const v = await store.get('p');
      seen.add(v === a ? 'a' : v === b ? 'b' : `a mix of ${v?.length} characters`);
    }
    await writes;
    expect([...seen].filter((v) => v !== 'a' && v !== 'b')).toEqual([]);
  });
});
