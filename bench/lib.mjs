// Shared pieces of the benchmarks: timing a process, interleaving, medians,
// and a signed-in profile against the real oidc-provider.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAuthServer } from '../scripts/auth-server.mjs';
import { launchChromium, signInWithBrowser } from '../scripts/browser.mjs';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const cli = path.join(root, 'bin', 'loopauth.js');

/** Median of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Percentile (0-100) of numbers. */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/**
 * Wall time of one process run, in ms; fails loudly on a non-zero exit.
 * Asynchronous on purpose: the authorization server runs in this process.
 */
export function timeRun(args, env) {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${args.join(' ')} exited ${code}: ${err}`));
    });
  });
}

/** Runs A and B alternately `n` times each; returns both lists of ms. */
export async function interleave(n, a, b) {
  const as = [];
  const bs = [];
  for (let i = 0; i < 3; i++) (await a(), await b()); // warm the page cache and compile caches
  for (let i = 0; i < n; i++) {
    as.push(await a());
    bs.push(await b());
  }
  return [as, bs];
}

/** Runs `count` processes at once; resolves with the wall time in ms and their outputs. */
export function concurrent(count, args, env) {
  const t0 = process.hrtime.bigint();
  return Promise.all(
    Array.from({ length: count }, () =>
      new Promise((resolve, reject) => {
        const c = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        c.stdout.on('data', (d) => (out += d));
        c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
      }),
    ),
  ).then((outs) => ({ ms: Number(process.hrtime.bigint() - t0) / 1e6, outs }));
}

/**
 * Starts `loopauth login --no-browser`; `url` resolves when the authorization
 * URL is on stderr, `exited` with [exit code, hrtime at exit].
 */
export function startLogin(issuer, env, args = []) {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [cli, 'login', '--issuer', issuer, '--client-id', 'demo-cli', '--no-browser', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise((r) => child.once('exit', (code) => r([code, process.hrtime.bigint()])));
  const url = new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      const m = /^(http:\/\/\S+\/auth\?\S+)$/m.exec(err);
      if (m) resolve(m[1]);
    });
    child.on('exit', () => reject(new Error(`login exited: ${err}`)));
  });
  url.catch(() => {});
  return { child, t0, url, exited, stderr: () => err };
}

/** A real authorization server and a headless browser for signing in. */
export async function fixture() {
  const server = await startAuthServer({ https: false });
  const browser = await launchChromium();
  return {
    server,
    /** Signs a fresh profile in (file or keychain store); returns the env that selects it. */
    async signIn(store = 'file', profile = 'default') {
      const env = { XDG_CONFIG_HOME: mkdtempSync(path.join(tmpdir(), 'loopauth-bench-')) };
      const login = startLogin(server.issuer, env, ['--store', store, '--profile', profile]);
      await signInWithBrowser(browser, await login.url);
      const [code] = await login.exited;
      if (code !== 0) throw new Error(`login failed: ${login.stderr()}`);
      return { ...env, profile };
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
