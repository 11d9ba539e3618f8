// Running the built CLI (node bin/loopauth.js) as a user or a script would,
// with a small, explicit environment: tests must not depend on the developer's
// DISPLAY, BROWSER, XDG_CONFIG_HOME or keychain unless they ask for them.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** bin/loopauth.js of this repository; LOOPAUTH_TEST_CLI points the helpers at another build (an installed package, say). */
export const CLI_PATH = process.env.LOOPAUTH_TEST_CLI || join(REPO_ROOT, 'bin', 'loopauth.js');

// PATH to find programs, the session bus for the keychain (Secret Service);
// the rest only so that Node itself works on every platform.
const INHERITED = ['PATH', 'DBUS_SESSION_BUS_ADDRESS', 'SYSTEMROOT', 'WINDIR', 'TEMP', 'TMP', 'TMPDIR'];

/**
 * The child's environment: the inherited essentials plus `env`, where an
 * `undefined` value removes the variable.
 * @param {Record<string, string | undefined>} [env]
 */
export function childEnv(env = {}) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const key of INHERITED) if (process.env[key] !== undefined) out[key] = /** @type {string} */ (process.env[key]);
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

/**
 * @typedef {object} CliOptions
 * @property {Record<string, string | undefined>} [env]  added to the child's environment
 * @property {string} [input]  written to stdin, which is then closed
 * @property {number} [timeoutMs=30000]  the child is killed (SIGKILL) and the promise rejects after this
 * @property {(line: string) => void} [onStderrLine]  called with each complete stderr line
 * @property {string} [cwd=REPO_ROOT]
 */

/**
 * @typedef {object} CliResult
 * @property {number | null} code
 * @property {NodeJS.Signals | null} signal
 * @property {string} stdout
 * @property {string} stderr
 * @property {number} durationMs
 */

/**
 * Every CLI process started and not yet exited (removeTempConfigDirs ends
 * those a failed test left running).
 * @type {Set<import('node:child_process').ChildProcess>}
 */
const running = new Set();

/**
 * Starts the CLI and returns at once. stdin stays an open pipe (not a
 * terminal) unless `input` is given; write to `child.stdin` to paste.
 * @param {string[]} args
 * @param {CliOptions} [options]
 */
export function startCli(args, { env, input, timeoutMs = 30_000, onStderrLine, cwd = REPO_ROOT } = {}) {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd, env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  let partial = '';
  /** @type {string[]} */
  const lines = [];
  /** @type {Set<() => void>} */
  const watchers = new Set();
  let done = false;
  child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr += chunk;
    const parts = (partial + chunk).split(/\r?\n/);
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      onStderrLine?.(line);
    }
    for (const watcher of watchers) watcher();
  });
  child.stdin.on('error', () => { /* the child may exit before reading */ });
  if (input !== undefined) child.stdin.end(input);

  /** @type {Promise<CliResult>} */
  const exited = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`loopauth ${args.join(' ')} did not exit within ${timeoutMs} ms\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => { clearTimeout(timer); done = true; reject(error); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done = true;
      if (partial) { lines.push(partial); onStderrLine?.(partial); partial = ''; }
      for (const watcher of watchers) watcher();
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
  exited.catch(() => { /* reported through waitForExit */ });

  /**
   * Resolves with the match of the first stderr line (seen before or later,
   * trimmed) matching `regex`; rejects if the child exits first or on timeout.
   * @param {RegExp} regex
   * @param {number} [waitMs=timeoutMs]
   * @returns {Promise<RegExpMatchArray>}
   */
  function waitForStderrLine(regex, waitMs = timeoutMs) {
    return new Promise((resolve, reject) => {
      let timer;
      const check = () => {
        for (const line of lines) {
          const match = line.trim().match(regex);
          if (match) { finish(); resolve(match); return; }
        }
        if (done) {
          finish();
          reject(new Error(`loopauth exited before printing a line matching ${regex}\nstderr:\n${stderr}`));
        }
      };
      const finish = () => { clearTimeout(timer); watchers.delete(check); };
      timer = setTimeout(() => { finish(); reject(new Error(`no stderr line matching ${regex} within ${waitMs} ms\nstderr:\n${stderr}`)); }, waitMs);
      watchers.add(check);
      check();
    });
  }

  return {
    child,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    /** stderr lines so far */
    lines,
    waitForStderrLine,
    /**
     * The authorization URL the CLI printed on a line of its own: one that
     * begins with `authorizationEndpoint` (any http(s) URL if not given).
     * @param {string} [authorizationEndpoint]
     */
    async waitForAuthorizationUrl(authorizationEndpoint) {
      const prefix = authorizationEndpoint ? escapeRegExp(authorizationEndpoint) : 'https?://';
      const [url] = await waitForStderrLine(new RegExp(`^${prefix}\\S*$`));
      return url;
    },
    /** @returns {Promise<CliResult>} */
    waitForExit: () => exited,
    /** @param {NodeJS.Signals} [signal] */
    kill: (signal = 'SIGTERM') => child.kill(signal),
  };
}

/** @param {string} text */
function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Runs the CLI to completion. Without `input`, stdin is closed at once (like
 * `< /dev/null`).
 * @param {string[]} args
 * @param {CliOptions} [options]
 * @returns {Promise<CliResult>}
 */
export function runCli(args, options = {}) {
  const cli = startCli(args, { ...options, input: options.input ?? '' });
  return cli.waitForExit();
}

/**
 * Starts `loopauth login --issuer <issuer> --client-id demo-cli --no-browser`
 * plus `args`, and resolves once it printed the authorization URL (its
 * listener is up): the running CLI, that URL, and its redirect URI's parts.
 * @param {string} issuer  a test server's issuer; its authorization endpoint is `${issuer}/auth`
 * @param {string[]} [args]
 * @param {CliOptions} [options]
 */
export async function startLogin(issuer, args = [], options = {}) {
  const cli = startCli(['login', '--issuer', issuer, '--client-id', 'demo-cli', '--no-browser', ...args], options);
  const url = await cli.waitForAuthorizationUrl(`${issuer}/auth`).catch((e) => {
    cli.kill('SIGKILL'); // nobody else holds it to stop it
    throw e;
  });
  const authorization = new URL(url).searchParams;
  const redirect = new URL(/** @type {string} */ (authorization.get('redirect_uri')));
  return { cli, url, redirect, port: Number(redirect.port), state: /** @type {string} */ (authorization.get('state')) };
}

/** @type {string[]} */
const tempDirs = [];

/**
 * A fresh, empty directory to use as XDG_CONFIG_HOME, e.g.
 * `runCli(args, { env: { XDG_CONFIG_HOME: await tempConfigDir() } })`.
 * It is `config` in a work folder of its own, so that what a test keeps
 * beside it (`${dir}.out`, a browser's record) goes with it.
 * @returns {Promise<string>}
 */
export async function tempConfigDir() {
  const work = await mkdtemp(join(tmpdir(), 'loopauth-test-'));
  tempDirs.push(work);
  const dir = join(work, 'config');
  await mkdir(dir);
  return dir;
}

/**
 * Deletes every directory tempConfigDir() made, and what was kept beside it
 * (for afterAll). A CLI still running (a test failed before it ended) is
 * killed and awaited first: it would go on writing into those folders while
 * they are removed.
 */
export async function removeTempConfigDirs() {
  await Promise.all([...running].map((child) => new Promise((resolve) => {
    child.once('exit', resolve);
    if (!child.kill('SIGKILL')) resolve(undefined); // gone already
  })));
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}
