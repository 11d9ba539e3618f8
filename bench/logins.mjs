// Figure 6, run in a child of its own (node --expose-gc bench/logins.mjs ISSUER COUNT):
// COUNT logins in a row through the library, each signed in by the HTTP
// stand-in for the browser, then what is left behind: file descriptors, libuv
// handles, process listeners and heap, against the same after a warm-up.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { login } from '../dist/index.js';
import { deliverOnce, signInOverHttp } from '../scripts/http-browser.mjs';

const [issuer, countText = '200'] = process.argv.slice(2);
const count = Number(countText);
const home = mkdtempSync(path.join(tmpdir(), 'loopauth-bench-logins-'));
const env = { XDG_CONFIG_HOME: home };

async function oneLogin() {
  const stop = new AbortController();
  let delivered;
  await login({
    issuer,
    clientId: 'demo-cli',
    store: 'file',
    env,
    signal: stop.signal,
    openBrowser: (url) => {
      // A stand-in that fails must end the login, not leave it waiting for its timeout.
      delivered = signInOverHttp(url)
        .then(deliverOnce)
        .then((status) => ({ status }), (e) => (stop.abort(e), { error: e }));
    },
  }).catch(async (e) => {
    throw (await delivered)?.error ?? e;
  });
  const result = await delivered;
  if (result?.status !== 200) throw new Error(`the tab was answered ${result?.status}`);
}

// GC, then a turn of the event loop for FinalizationRegistry callbacks (fetch
// holds each request's signal until one runs), three times over.
async function settle() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 20));
  }
}

function snapshot() {
  const handles = process.getActiveResourcesInfo().filter((t) => t !== 'Timeout' && t !== 'Immediate');
  const listeners = process.eventNames().reduce((n, e) => n + process.listenerCount(e), 0);
  return { fds: readdirSync('/proc/self/fd').length, handles: handles.length, listeners, heapMB: process.memoryUsage().heapUsed / 2 ** 20 };
}

try {
  for (let i = 0; i < 10; i++) await oneLogin(); // warm-up: caches, keep-alive pools
  await settle();
  const before = snapshot();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await oneLogin();
  const ms = performance.now() - t0;
  await settle();
  const after = snapshot();
  process.stdout.write(`${JSON.stringify({ count, ms, before, after })}\n`);
} finally {
  rmSync(home, { recursive: true, force: true });
}
