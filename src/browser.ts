/**
 * How the authorization URL reaches a browser: an app's own opener
 * (Electron's `shell.openExternal`), the `BROWSER` command (as git and gh
 * read it), or the system browser through `open`. Never through a shell.
 */
import { spawn } from 'node:child_process';
import { LoopauthError } from './errors.js';
import type { OpenBrowser } from './options.js';
import { requireBrowsableEndpoint } from './urls.js';

/**
 * Splits a command line into words as a POSIX shell would, without running
 * a shell or expanding anything: quotes and backslashes only.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && line[i + 1] === '\n') i++; // line continuation: both removed
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 === line.length) {
        word += c; // a trailing backslash stays literal, as in sh
        inWord = true;
      } else if (line[i + 1] === '\n') {
        i++; // line continuation: starts no word
      } else {
        word += line[++i];
        inWord = true;
      }
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new LoopauthError('browser_failed', 'BROWSER has an unterminated quote');
  if (inWord) words.push(word);
  return words;
}

/** Runs the `BROWSER` command with the URL as its last argument; resolves once it started. */
function runBrowserCommand(command: string, url: string): Promise<void> {
  const [file, ...args] = splitCommandLine(command);
  if (!file) return Promise.reject(new LoopauthError('browser_failed', 'BROWSER is empty'));
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args, url], { stdio: 'ignore', detached: true, shell: false });
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(new LoopauthError('browser_failed', `could not start the BROWSER command ${JSON.stringify(file)} (${e.code ?? 'error'})`)),
    );
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

/**
 * The default opener: `BROWSER` when set, else the system browser through
 * `open` (xdg-open, `open`, `start`).
 */
export function systemBrowser(env: NodeJS.ProcessEnv = process.env): OpenBrowser {
  return async (url: string) => {
    const command = env.BROWSER;
    if (command !== undefined && command.trim() !== '') return runBrowserCommand(command, url);
    const { default: open } = await import('open');
    const child = await open(url, { wait: false });
    await new Promise<void>((resolve, reject) => {
      child.once('error', (e: NodeJS.ErrnoException) => reject(new LoopauthError('browser_failed', `could not open the system browser (${e.code ?? 'error'})`)));
      child.once('spawn', () => resolve());
    });
    child.unref();
  };
}

/**
 * Hands an authorization URL to an opener, after checking it is http(s).
 * A failing opener is reported, not fatal: the URL was printed, and the
 * person can open it by hand.
 */
export async function openAuthorizationUrl(url: string, opener: OpenBrowser, warn: (line: string) => void): Promise<void> {
  // The text itself, not only its parse: the opener gets the text, and the
  // parser would have percent-encoded a backtick that the text still has.
  requireBrowsableEndpoint(url, 'the authorization URL');
  try {
    await opener(url);
  } catch (e) {
    const msg = e instanceof LoopauthError ? e.message : 'the browser could not be opened';
    warn(`${msg}; open the URL above in a browser yourself`);
  }
}

/** Reports a rejected promise returned by an app's callback as a warning. */
export function settleQuietly(value: unknown, warn: (line: string) => void, name: string): void {
  if (value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function') {
    (value as PromiseLike<unknown>).then(undefined, () => warn(`${name} failed; the sign-in goes on`));
  }
}
