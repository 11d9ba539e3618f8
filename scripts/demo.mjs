// `npm run demo`: a real authorization server on loopback, and the real CLI
// signing in to it: with the system browser where there is a desktop, else
// with headless Chromium playing the person (and saying so). The demo keeps
// its profile in its own config folder (.demo/ in the repository, gitignored),
// never in the user's `default` profile.
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAuthServer } from './auth-server.mjs';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(REPO_ROOT, 'bin', 'loopauth.js');
const CONFIG_HOME = join(REPO_ROOT, '.demo');
const PROFILE = 'demo';

const say = (/** @type {string} */ text) => process.stderr.write(`demo: ${text}\n`);

/** Whether a person can see a browser window here (the CLI's own rule for --flow auto). */
function hasDesktop() {
  if (process.platform !== 'linux') return true;
  return Boolean((process.env.DISPLAY || process.env.WAYLAND_DISPLAY) && !process.env.SSH_CONNECTION);
}

/** Whether the OS keychain answers: a probe entry written and deleted with keytar, within 3 s. */
async function keychainWorks() {
  try {
    const { default: keytar } = await import('keytar');
    const probe = (async () => {
      await keytar.setPassword('loopauth-demo-probe', 'probe', 'probe');
      await keytar.deletePassword('loopauth-demo-probe', 'probe');
      return true;
    })();
    const timeout = new Promise((resolve) => { setTimeout(resolve, 3000, false).unref(); });
    return await Promise.race([probe, timeout]);
  } catch {
    return false; // keytar not installed (optional dependency) or no Secret Service
  }
}

/**
 * Runs the CLI with the user's environment plus the demo's config folder.
 * stderr is forwarded (the person sees progress) and watched line by line.
 * @param {string[]} args
 * @param {{ onStderrLine?: (line: string) => void, stdin?: 'inherit' | 'ignore' }} [options]
 * @returns {{ done: Promise<{ code: number | null, signal: string | null, stdout: string }>, kill: () => void }}
 */
function cli(args, { onStderrLine, stdin = 'ignore' } = {}) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, XDG_CONFIG_HOME: CONFIG_HOME },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  let stdout = '';
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    process.stderr.write(chunk);
    const lines = (partial + chunk).split(/\r?\n/);
    partial = lines.pop() ?? '';
    for (const line of lines) onStderrLine?.(line.trim());
  });
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout }));
  });
  return { done, kill: () => child.kill('SIGTERM') };
}

/** @param {string} step @param {{ code: number | null, signal: string | null }} result */
function check(step, result) {
  if (result.code !== 0) throw new Error(`${step} failed (${result.signal ?? `exit ${result.code}`})`);
}

async function main() {
  await mkdir(CONFIG_HOME, { recursive: true, mode: 0o700 });
  const server = await startAuthServer();
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;
  /** @type {(() => void) | undefined} */
  let stopLogin;
  let interrupted = false;
  // Ctrl-C reaches the CLI too (same process group); this covers a kill of the demo alone.
  const interrupt = () => { interrupted = true; stopLogin?.(); };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    say(`authorization server (oidc-provider) at ${server.issuer}, client demo-cli, user demo/demo`);
    const storeArgs = [];
    if (!(await keychainWorks())) {
      say('No Secret Service answered; the demo keeps its secrets in a 0600 file (--store file)');
      storeArgs.push('--store', 'file');
    }
    const loginArgs = ['login', '--issuer', server.issuer, '--client-id', 'demo-cli', '--profile', PROFILE, '--timeout', '180', ...storeArgs];
    const started = Date.now();
    if (hasDesktop()) {
      say('your browser will open: sign in as demo, password demo');
      const login = cli(loginArgs, { stdin: 'inherit' });
      stopLogin = login.kill;
      check('login', await login.done);
    } else {
      say('No desktop here: driving headless Chromium as the person signing in');
      const { launchChromium, signInWithBrowser } = await import('./browser.mjs');
      browser = await launchChromium();
      const endpoint = `${server.issuer}/auth`;
      /** @type {(url: string) => void} */
      let gotUrl = () => {};
      const urlPrinted = new Promise((resolve) => { gotUrl = resolve; });
      const login = cli([...loginArgs, '--no-browser'], { onStderrLine: (line) => { if (line.startsWith(`${endpoint}?`)) gotUrl(line); } });
      stopLogin = login.kill;
      const url = await Promise.race([urlPrinted, login.done.then(() => null)]);
      if (!url) check('login', await login.done); // exited before printing the URL
      const [page, result] = await Promise.all([signInWithBrowser(browser, /** @type {string} */ (url)), login.done]);
      say(`the browser got the app's answer: HTTP ${page.status}`);
      check('login', result);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);

    say(`loopauth status --profile ${PROFILE}`);
    const status = await cli(['status', '--profile', PROFILE]).done;
    process.stdout.write(status.stdout);
    check('status', status);

    say(`loopauth token --profile ${PROFILE}`);
    const token = await cli(['token', '--profile', PROFILE]).done;
    check('token', token);
    const value = token.stdout.trim();
    if (!value) throw new Error('token printed nothing');
    // No part of a token is ever shown (a prefix is still token material in a log).
    process.stdout.write(`access token: received (${value.length} characters, not shown)\n`);

    const store = storeArgs.length ? 'a 0600 file' : 'the OS keychain';
    process.stdout.write(`Demo complete: signed in as ${server.user.username} (sub ${server.user.sub}) at ${server.issuer} in ${seconds} s; `
      + `profile "${PROFILE}" in ${CONFIG_HOME}, secrets in ${store}.\n`);
    return 0;
  } catch (error) {
    say(interrupted ? 'interrupted' : `FAILED: ${error instanceof Error ? error.message : String(error)}`);
    return interrupted ? 130 : 1;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await browser?.close();
    await server.close();
  }
}

// Exit explicitly: a keychain probe stuck in the native layer must not keep the demo alive.
process.exit(await main());
