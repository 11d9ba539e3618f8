import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LoopauthError } from '../src/errors.js';
import { withProfileLock } from '../src/lock.js';

let root: string;
let child: string | undefined;
const children: ChildProcess[] = [];

/** A child process that uses the built module, as a second `loopauth token` would. */
const childScript = `
import { appendFileSync } from 'node:fs';
const { withProfileLock } = await import(process.env.LOCK_MODULE);
const [mode, root, log, id, rounds] = process.argv.slice(2);
const options = { root, profile: 'default', waitMs: 30000 };
if (mode === 'append') {
  for (let i = 0; i < Number(rounds); i++) {
    await withProfileLock(options, async () => {
      appendFileSync(log, id + ' start ' + i + '\\n');
      await new Promise((r) => setTimeout(r, 15));
      appendFileSync(log, id + ' end ' + i + '\\n');
    });
  }
} else if (mode === 'hold') {
  await withProfileLock(options, () => new Promise(() => {
    setInterval(() => {}, 1000);
    process.stdout.write('locked\\n');
  }));
} else if (mode === 'take') {
  process.stdout.write('trying\\n');
  await withProfileLock(options, async () => process.stdout.write('took\\n'));
}
`;

beforeAll(() => {
  const built = path.resolve('dist/lock.js');
  if ((statSync(built, { throwIfNoEntry: false })?.mtimeMs ?? 0) < statSync('src/lock.ts').mtimeMs) {
    throw new Error('dist/lock.js is missing or older than src/lock.ts: run `npx tsc -p tsconfig.build.json` (npm test does) first');
  }
  child = path.join(mkdtempSync(path.join(os.tmpdir(), 'loopauth-lock-child-')), 'child.mjs');
  writeFileSync(child, childScript);
});

afterAll(() => {
  if (child) rmSync(path.dirname(child), { recursive: true, force: true });
});

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'loopauth-lock-'));
});

afterEach(async () => {
  // A child still running (its test failed) is killed and awaited: it could otherwise
  // still be writing its lock under root while root is removed.
  const running = children.splice(0).filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(running.map((c) => {
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    return gone;
  }));
  rmSync(root, { recursive: true, force: true });
});

function runChild(...args: string[]): { process: ChildProcess; line: (text: string) => Promise<void>; exit: Promise<number | null> } {
  const proc = spawn(process.execPath, [child!, ...args], {
    env: { ...process.env, LOCK_MODULE: pathToFileURL(path.resolve('dist/lock.js')).href },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(proc);
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const line = async (text: string): Promise<void> => {
    while (!out.split('\n').includes(text)) {
      if (proc.exitCode !== null) throw new Error(`child exited (${proc.exitCode}) before printing ${text}`);
      await sleep(20);
    }
  };
  return { process: proc, line, exit };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Records when each holder enters and leaves, to see whether they overlapped. */
function holder(events: string[], name: string, ms: number, profile = 'default', result: unknown = name): Promise<unknown> {
  return withProfileLock({ root, profile }, async () => {
    events.push(`${name} in`);
    await sleep(ms);
    events.push(`${name} out`);
    return result;
  });
}

/** Resolves once `event` is in `events` (a holder got in), instead of guessing how long that takes. */
async function until(events: string[], event: string): Promise<void> {
  while (!events.includes(event)) await sleep(5);
}

/** Holds `profile`'s lock until `letGo()`; resolves once it has it. */
async function heldUntilLetGo(profile = 'default'): Promise<{ letGo: () => void; done: Promise<unknown> }> {
  let letGo!: () => void;
  const events: string[] = [];
  const done = withProfileLock({ root, profile }, () => {
    events.push('in');
    return new Promise<void>((r) => (letGo = r));
  });
  await Promise.race([until(events, 'in'), done]);
  return { letGo, done };
}

async function failure(work: Promise<unknown>): Promise<LoopauthError> {
  const e: unknown = await work.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(LoopauthError);
  return e as LoopauthError;
}

describe('withProfileLock in one process', () => {
  it('fails with lock_failed when the config root cannot hold a lock folder', async () => {
    const blocker = path.join(root, 'file');
    writeFileSync(blocker, '');
    expect((await failure(withProfileLock({ root: blocker, profile: 'default' }, () => Promise.resolve(1)))).code).toBe('lock_failed');
  });

  it('returns what the work returned', async () => {
    expect(await withProfileLock({ root, profile: 'default' }, () => Promise.resolve(42))).toBe(42);
  });

  it('lets one holder in at a time for one profile', async () => {
    const events: string[] = [];
    await Promise.all([holder(events, 'a', 150), holder(events, 'b', 150)]);
    expect([
      ['a in', 'a out', 'b in', 'b out'],
      ['b in', 'b out', 'a in', 'a out'],
    ]).toContainEqual(events);
  });

  it('does not make different profiles wait for each other', async () => {
    // "a" keeps its profile locked until "b" has been in and out of another: were
    // "b" made to wait for "a", it would give up (lock_failed) instead of passing.
    const a = await heldUntilLetGo('work');
    try {
      expect(await withProfileLock({ root, profile: 'home', waitMs: 2_000 }, () => Promise.resolve('b'))).toBe('b');
    } finally {
      a.letGo();
      await a.done;
    }
  });

  it('passes on the work\'s own error and frees the lock for the next holder', async () => {
    const boom = new LoopauthError('invalid_grant', 'refused');
    await expect(withProfileLock({ root, profile: 'default' }, () => Promise.reject(boom))).rejects.toBe(boom);
    // No wait allowed: a lock left held would fail this with lock_failed.
    expect(await withProfileLock({ root, profile: 'default', waitMs: 0 }, () => Promise.resolve('next'))).toBe('next');
  });

  it('keeps the lock of a live holder that works longer than the stale time', async () => {
    const events: string[] = [];
    const long = holder(events, 'long', 6_500);
    await until(events, 'long in');
    await holder(events, 'next', 0);
    await long;
    expect(events).toEqual(['long in', 'long out', 'next in', 'next out']);
  }, 20_000);

  it('fails with lock_failed when another holder keeps it past waitMs', async () => {
    const first = await heldUntilLetGo();
    try {
      const e = await failure(withProfileLock({ root, profile: 'default', waitMs: 300 }, () => Promise.resolve()));
      expect(e.code).toBe('lock_failed');
    } finally {
      first.letGo();
      await first.done;
    }
  });

  it('fails with cancelled when its signal aborts while waiting', async () => {
    const first = await heldUntilLetGo();
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const e = await failure(withProfileLock({ root, profile: 'default', signal: controller.signal }, () => Promise.resolve()));
      expect(e.code).toBe('cancelled');
    } finally {
      first.letGo();
      await first.done;
    }
  });
});

describe('withProfileLock across processes', () => {
  it('never lets two processes work at once: their log entries never interleave', async () => {
    const log = path.join(root, 'log.txt');
    writeFileSync(log, '');
    const runs = ['A', 'B', 'C'].map((id) => runChild('append', root, log, id, '8'));
    expect(await Promise.all(runs.map((r) => r.exit))).toEqual([0, 0, 0]);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3 * 8 * 2);
    for (let i = 0; i < lines.length; i += 2) {
      expect(lines[i + 1]).toBe(lines[i]!.replace(' start ', ' end '));
    }
  }, 30_000);

  it('makes a second process wait for a live holder', async () => {
    const holding = runChild('hold', root);
    await holding.line('locked');
    const taker = runChild('take', root);
    await sleep(1_500);
    expect(taker.process.exitCode).toBeNull();
    holding.process.kill('SIGTERM');
    expect(await taker.exit).toBe(0);
  }, 30_000);

  it('hands the lock of a holder killed with SIGKILL to a new process within 10 s', async () => {
    const holding = runChild('hold', root);
    await holding.line('locked');
    holding.process.kill('SIGKILL');
    await holding.exit;
    const taker = runChild('take', root);
    // From when the new process asks for the lock (after the kill): its own start-up is not the wait.
    await taker.line('trying');
    const asked = Date.now();
    await taker.line('took');
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(await taker.exit).toBe(0);
  }, 30_000);
});
