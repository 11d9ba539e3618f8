// npm run bench: what users feel, as ratios against baselines measured in the
// same run (interleaved, medians of BENCH_RUNS runs, default 20). On Node 20 it
// also runs itself on Node 24 (npx -y node@24). --json prints one JSON object.
import { spawnSync } from 'node:child_process';
import { fixture } from './lib.mjs';
import * as f from './figures.mjs';

const json = process.argv.includes('--json');
const child = process.argv.includes('--child');
const keychain = Boolean(process.env.DBUS_SESSION_BUS_ADDRESS) && process.versions.node.startsWith('20.');
const log = (line) => process.stderr.write(`${line}\n`);

const fx = await fixture();
const rows = [];
try {
  const fileEnv = await fx.signIn('file');
  log('bench: token on a cached token (file store)');
  rows.push(await f.tokenFile(fileEnv));
  if (keychain) {
    const kcEnv = await fx.signIn('keychain', `bench-${process.pid}`);
    log('bench: token on a cached token (keychain)');
    rows.push(await f.tokenKeychain(kcEnv));
  } else rows.push({ name: 'token, cached, keychain', skipped: 'keytar is built for the machine Node 20 only, or no Secret Service' });
  log('bench: token that refreshes');
  rows.push(await f.tokenRefresh(await fx.signIn('file'), fx.server));
  log('bench: login until the URL is printed');
  rows.push(await f.loginUrl(fx.server.issuer));
  log('bench: peak RSS');
  rows.push(await f.peakRss(fileEnv));
  for (const n of [8, 32]) {
    log(`bench: ${n} concurrent token processes`);
    rows.push(await f.concurrentRefresh(await fx.signIn('file'), fx.server, n));
  }
  log('bench: in-process getAccessToken');
  rows.push(await f.inProcess(fileEnv));
  log('bench: callback to exit');
  rows.push(await f.callbackToExit(fx.server.issuer, fx.server));
  log('bench: 200 logins in one process');
  rows.push(await f.manyLogins(fx.server.issuer));
} finally {
  await fx.close();
}

const result = { node: process.version, date: new Date().toISOString().slice(0, 10), rows: rows.map(verdict) };
function verdict(r) {
  if (r.skipped) return r;
  const ratio = r.base ? r.ours / r.base : null;
  const withinGoal = r.goal && ratio !== null ? ratio <= r.goal : undefined;
  const pass = withinGoal === undefined ? r.ok : withinGoal && (r.ok ?? true);
  return { ...r, ratio: ratio && Number(ratio.toFixed(2)), verdict: pass === undefined ? '' : pass ? 'PASS' : 'MISS' };
}

let others = [];
if (!child && process.versions.node.startsWith('20.') && !process.argv.includes('--no-node24')) {
  log('bench: the same on Node 24');
  const r = spawnSync('npx', ['-y', 'node@24', new URL(import.meta.url).pathname, '--child', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status === 0) others = [JSON.parse(r.stdout)];
  else log('bench: Node 24 run failed');
}

if (json) process.stdout.write(`${JSON.stringify(child ? result : [result, ...others])}\n`);
else for (const res of [result, ...others]) printTable(res);

function printTable(res) {
  console.log(`\nloopauth bench, Node ${res.node}, ${res.date} (medians of ${process.env.BENCH_RUNS || 20} interleaved runs)`);
  console.log('| figure | loopauth | baseline | ratio | goal | verdict | notes |\n| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of res.rows) {
    if (r.skipped) console.log(`| ${r.name} | | | | | skipped | ${r.skipped} |`);
    else {
      const u = r.unit ?? 'ms';
      const fmt = (v) => (v === null || v === undefined ? '' : `${Number(v).toFixed(u === 'ms' ? 1 : 0)} ${u}`);
      console.log(`| ${r.name} | ${fmt(r.ours)} | ${r.base === null ? r.baseline : `${fmt(r.base)} (${r.baseline})`} | ${r.ratio ?? ''} | ${r.goal ? `≤ ${r.goal}×` : ''} | ${r.verdict} | ${r.extra ?? ''} |`);
    }
  }
}
