// Each figure: measured against a baseline in the same run, interleaved.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cli, concurrent, interleave, median, percentile, root, startLogin, timeRun } from './lib.mjs';
import path from 'node:path';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { deliverOnce, signInOverHttp } from '../scripts/http-browser.mjs';
import { tmpdir } from 'node:os';

const N = Number(process.env.BENCH_RUNS || 20);
const nodeE0 = () => timeRun(['-e', '0'], {});

function expire(env) {
  const dir = path.join(env.XDG_CONFIG_HOME, 'loopauth', 'secrets');
  const file = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.secret')));
  const s = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...s, expires_at: 1 }));
}

/** 1. `loopauth token` on a cached token, file store, vs `node -e 0`. */
export async function tokenFile(env) {
  const [base, ours] = await interleave(N, nodeE0, () => timeRun([cli, 'token'], env));
  return { name: 'token, cached, file store', ours: median(ours), base: median(base), baseline: 'node -e 0', goal: 1.1 };
}

/** 1b. keychain store vs a bare keytar read. */
export async function tokenKeychain(env) {
  const read = path.join(root, 'bench', 'keytar-read.cjs');
  const [base, ours] = await interleave(N, () => timeRun([read], { BENCH_ACCOUNT: env.profile }), () => timeRun([cli, 'token', '--profile', env.profile], env));
  return { name: 'token, cached, keychain', ours: median(ours), base: median(base), baseline: 'bare keytar read', goal: 1.1 };
}

/** 2. A token that must refresh vs the cached case; round trips from the server's log. */
export async function tokenRefresh(env, server) {
  const cached = [];
  const refreshing = [];
  let requests = 0;
  for (let i = 0; i < N; i++) {
    cached.push(await timeRun([cli, 'token'], env));
    expire(env);
    const before = server.tokenRequests().length;
    refreshing.push(await timeRun([cli, 'token'], env));
    requests += server.tokenRequests().length - before;
  }
  return { name: 'token that refreshes', ours: median(refreshing), base: median(cached), baseline: 'token, cached', extra: `+${(median(refreshing) - median(cached)).toFixed(1)} ms, ${requests / N} token request(s) per refresh (goal 1)`, goal: null };
}

/** 3. `login --no-browser`: start until the URL line is on stderr. */
export async function loginUrl(issuer) {
  const env = { XDG_CONFIG_HOME: mkdtempSync(path.join(tmpdir(), 'loopauth-bench-url-')) };
  const untilUrl = async () => {
    const login = startLogin(issuer, env, ['--store', 'file']);
    try {
      await login.url;
      return Number(process.hrtime.bigint() - login.t0) / 1e6;
    } finally {
      login.child.kill('SIGKILL');
      await login.exited;
    }
  };
  const [base, ours] = await interleave(N, nodeE0, untilUrl).finally(() => rmSync(env.XDG_CONFIG_HOME, { recursive: true, force: true }));
  return { name: 'login --no-browser until the URL', ours: median(ours), base: median(base), baseline: 'node -e 0', goal: 1.5 };
}

/** 5. Peak RSS (GNU time's %M, KiB). */
export async function peakRss(env) {
  const rss = (args) => {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
    return Promise.resolve(Number(r.stderr.trim().split('\n').pop()));
  };
  const [base, ours] = await interleave(N, () => rss(['-e', '0']), () => rss([cli, 'token']));
  return { name: 'peak RSS of token (KiB)', ours: median(ours), base: median(base), baseline: 'node -e 0', goal: 1.3, unit: 'KiB' };
}

/** 7. N concurrent `token` processes on an expired token vs N on a cached one. */
export async function concurrentRefresh(env, server, count) {
  await concurrent(count, [cli, 'token'], env);
  const cached = await concurrent(count, [cli, 'token'], env);
  expire(env);
  const before = server.tokenRequests().filter((q) => q.grantType === 'refresh_token').length;
  const expired = await concurrent(count, [cli, 'token'], env);
  const refreshes = server.tokenRequests().filter((q) => q.grantType === 'refresh_token').length - before;
  const same = new Set(expired.outs).size === 1;
  return { name: `${count} concurrent token, expired`, ours: expired.ms, base: cached.ms, baseline: `${count} concurrent, cached`, extra: `${refreshes} refresh request(s) (goal 1), ${same ? 'all printed the same token' : 'DIFFERENT tokens'}`, goal: 1.5, ok: refreshes === 1 && same };
}

/** 8. In-process getAccessToken() on a cached token. */
export async function inProcess(env) {
  const { getAccessToken } = await import('../dist/index.js');
  const opts = { env: { ...process.env, ...env } };
  await getAccessToken(opts);
  const times = [];
  for (let i = 0; i < 10_000; i++) {
    const t0 = process.hrtime.bigint();
    await getAccessToken(opts);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: 100 }, () => getAccessToken(opts)));
  const hundred = Number(process.hrtime.bigint() - t0) / 1e6;
  return { name: 'getAccessToken() in-process, cached', ours: percentile(times, 99), base: null, baseline: 'p99 goal 1 ms', extra: `p50 ${percentile(times, 50).toFixed(3)} ms, p99 ${percentile(times, 99).toFixed(3)} ms, 100 concurrent ${hundred.toFixed(1)} ms`, goal: null, ok: percentile(times, 99) < 1 };
}

/**
 * 4. From the callback reaching the listener to the process's exit (exchange,
 * ID-token checks, store write, the tab's answer), less the server's own time.
 */
export async function callbackToExit(issuer, server) {
  const totals = [];
  const ours = [];
  const tabs = [];
  for (let i = 0; i < Math.min(N, 20) + 2; i++) {
    const { total, serverMs, tab } = await oneCallback(issuer, server);
    if (i < 2) continue; // warm-up
    totals.push(total);
    ours.push(total - serverMs);
    tabs.push(tab);
  }
  const m = median(ours);
  return { name: 'callback to exit, less the server', ours: m, base: null, baseline: 'goal 50 ms', extra: `callback to exit ${median(totals).toFixed(1)} ms, of which the server ${(median(totals) - m).toFixed(1)} ms; the tab had its answer at ${median(tabs).toFixed(1)} ms`, goal: null, ok: m <= 50 };
}

/** 6. 200 logins in a row in one process: what is left behind (bench/logins.mjs). */
export async function manyLogins(issuer, count = 200) {
  // Not spawnSync: the authorization server runs in this process and must keep answering.
  const child = spawn(process.execPath, ['--expose-gc', path.join(root, 'bench', 'logins.mjs'), issuer, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error('bench/logins.mjs failed');
  const { ms, before, after } = JSON.parse(out);
  const growth = after.heapMB - before.heapMB;
  const leaks = ['fds', 'handles', 'listeners'].filter((k) => after[k] > before[k]);
  return {
    name: `${count} logins in one process`,
    ours: ms / count, base: null, baseline: 'per login',
    extra: `fds ${before.fds}→${after.fds}, handles ${before.handles}→${after.handles}, process listeners ${before.listeners}→${after.listeners}, heap ${before.heapMB.toFixed(1)}→${after.heapMB.toFixed(1)} MB (${((growth * 1024) / count).toFixed(1)} KB a login)`,
    goal: null, ok: leaks.length === 0 && growth < 5,
  };
}

/**
 * One login of figure 4, in ms: callback to exit, the server's share of it,
 * callback to the tab's answer. A failing one leaves no login running and no folder.
 */
async function oneCallback(issuer, server) {
  const env = { XDG_CONFIG_HOME: mkdtempSync(path.join(tmpdir(), 'loopauth-bench-cb-')) };
  const login = startLogin(issuer, env, ['--store', 'file']);
  try {
    const callbackUrl = await signInOverHttp(await login.url);
    const before = server.requests.length;
    const t0 = process.hrtime.bigint();
    const tab = deliverOnce(callbackUrl).then((status) => [status, process.hrtime.bigint()]);
    const [[code, t1], [status, answered]] = await Promise.all([login.exited, tab]);
    if (code !== 0 || status !== 200) throw new Error(`login exited ${code}, the tab was answered ${status}`);
    const serverMs = server.requests.slice(before).reduce((n, r) => n + (r.ms ?? 0), 0);
    return { total: Number(t1 - t0) / 1e6, serverMs, tab: Number(answered - t0) / 1e6 };
  } finally {
    login.child.kill('SIGKILL'); // a no-op once it has exited
    rmSync(env.XDG_CONFIG_HOME, { recursive: true, force: true });
  }
}
