/** The contract every SecretStore keeps, shared by the store test files. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { SecretStore } from '../../src/store/types.js';

const runId = `${process.pid}-${randomBytes(4).toString('hex')}`;

/** The rules every SecretStore keeps, run against each store. */
export function secretStoreContract(name: string, make: () => SecretStore): void {
  describe(`${name} as a SecretStore`, () => {
    let store: SecretStore;
    let n = 0;
    const used: string[] = [];
    const key = (): string => {
      used.push(`t${runId}-${++n}.refresh_token`);
      return used.at(-1)!;
    };

    beforeEach(() => {
      store = make();
    });
    afterAll(async () => {
      const s = make();
      for (const k of used) await s.delete(k);
    });

    it('names its kind', () => {
      expect(store.kind).toMatch(/^[a-z]+$/);
    });

    it('reads a key that was never set as undefined', async () => {
      expect(await store.get(key())).toBeUndefined();
    });

    it('reads back what was set', async () => {
      const k = key();
      await store.set(k, 'rt-1');
      expect(await store.get(k)).toBe('rt-1');
    });

    it('replaces the value on a second set', async () => {
      const k = key();
      await store.set(k, 'rt-1');
      await store.set(k, 'rt-2');
      expect(await store.get(k)).toBe('rt-2');
    });

    it('keeps keys apart', async () => {
      const [a, b] = [key(), key()];
      await store.set(a, 'value-a');
      await store.set(b, 'value-b');
      expect([await store.get(a), await store.get(b)]).toEqual(['value-a', 'value-b']);
    });

    it('deletes: true when something was removed, then false, and the value is gone', async () => {
      const k = key();
      await store.set(k, 'rt-1');
      expect(await store.delete(k)).toBe(true);
      expect(await store.get(k)).toBeUndefined();
      expect(await store.delete(k)).toBe(false);
    });

    it('keeps unicode, quotes and newlines exactly', async () => {
      const k = key();
      const value = 'päßwörd ✓ 🔑 "quoted" \'single\'\nline two\ttab \\ end';
      await store.set(k, value);
      expect(await store.get(k)).toBe(value);
    });

    it('keeps a 16 KB value exactly', async () => {
      const k = key();
      const value = randomBytes(12 * 1024).toString('base64');
      expect(value.length).toBe(16 * 1024);
      await store.set(k, value);
      expect(await store.get(k)).toBe(value);
    });

    it('is read by a new instance over the same place', async () => {
      const k = key();
      await store.set(k, 'shared');
      expect(await make().get(k)).toBe('shared');
    });
  });
}

