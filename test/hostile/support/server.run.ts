/**
 * Running `loopauth login` against a hostile server, the way a person would:
 * BROWSER is a recording script that plays the browser, the config folder is
 * fresh, secrets go to the file store. Afterwards: what was launched, what
 * the tab showed, what was saved, and every place a secret must not be.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { CLI_PATH, childEnv, runCli, tempConfigDir } from '../../helpers/cli.mjs';
import type { CliResult } from '../../helpers/cli.mjs';
import type { HostileServer } from './server.js';
import { errorCodeOf } from '../../support/output.js';
import { filesUnder } from '../../support/system.js';

const browserScript = fileURLToPath(new URL('./server.browser.mjs', import.meta.url));

/** One `login` run and what it left behind. */
export interface HostileRun extends CliResult {
  /** The config folder (XDG_CONFIG_HOME). */
  readonly config: string;
  /** `loopauth: <code>: ...` from the last stderr line, or undefined. */
  readonly code_: string | undefined;
  /** The argv of every BROWSER launch. */
  readonly launches: string[][];
  /** The page the browser tab ended on, if it was launched. */
  readonly page?: { status: number; body: string };
  /** Files saved under the config folder (relative), lock files aside. */
  readonly saved: string[];
}

/** The BROWSER value that records into `record` and plays the browser. */
export function recordingBrowser(record: string): string {
  return `${process.execPath} ${browserScript} ${record}`;
}

/** Reads what the recording browser wrote. */
export function readRecord(record: string): { launches: string[][]; page?: { status: number; body: string } } {
  if (!existsSync(record)) return { launches: [] };
  const lines = readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv?: string[]; page?: { status: number; body: string } });
  const page = lines.find((l) => l.page)?.page;
  return { launches: lines.flatMap((l) => (l.argv ? [l.argv] : [])), ...(page ? { page } : {}) };
}

/** Runs `loopauth login --issuer <server> --client-id hostile-cli --store file` plus `args`. */
export async function loginAgainst(
  server: HostileServer | string,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
  options: { config?: string; wrap?: (config: string) => string[]; register?: boolean } = {},
): Promise<HostileRun> {
  const config = options.config ?? (await tempConfigDir());
  const record = path.join(config, '..', `${path.basename(config)}.browser.jsonl`);
  const issuer = typeof server === 'string' ? server : server.issuer;
  const argv = ['login', ...(args.includes('--resource-url') ? [] : ['--issuer', issuer]), ...(args.includes('--client-id') || options.register ? [] : ['--client-id', 'hostile-cli']), '--store', 'file', ...(args.includes('--timeout') ? [] : ['--timeout', '10']), ...args];
  const childEnvironment = { XDG_CONFIG_HOME: config, BROWSER: recordingBrowser(record), ...env };
  const r = options.wrap
    ? await runWrapped([...options.wrap(config), process.execPath, CLI_PATH, ...argv], childEnvironment)
    : await runCli(argv, { env: childEnvironment });
  // The browser is detached: wait for it to write down the page it ended on (it always does, soon after
  // the CLI answered or dropped its tab; up to 10 s, as a busy machine can hold a process off that long).
  for (let i = 0; i < 200 && existsSync(record) && !readFileSync(record, 'utf8').includes('"page"'); i++) await new Promise((res) => setTimeout(res, 50));
  return { ...r, config, code_: errorCodeOf(r.stderr), ...readRecord(record), saved: filesUnder(config) };
}

/**
 * Where a secret must never be: stdout, stderr, the argv of anything
 * launched, and any file under the config folder except the secret store.
 * Returns the places a secret was found (an empty list is a pass).
 */
export function secretLeaks(run: HostileRun, secrets: readonly string[]): string[] {
  const places: [string, string][] = [
    ['stdout', run.stdout],
    ['stderr', run.stderr],
    ...run.launches.map((argv, i): [string, string] => [`launch ${i} argv`, argv.join('\0')]),
    ...run.saved
      .filter((f) => !f.startsWith(`loopauth${path.sep}secrets${path.sep}`))
      .map((f): [string, string] => [f, readFileSync(path.join(run.config, f), 'utf8')]),
  ];
  return places.flatMap(([where, text]) => secrets.filter((s) => s.length >= 8 && text.includes(s)).map((s) => `${where} has ${s.slice(0, 6)}…`));
}

/** Runs `command` (a wrapper such as `unshare -m sh -c ...` around the CLI) to completion, stdin closed. */
function runWrapped(command: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}
