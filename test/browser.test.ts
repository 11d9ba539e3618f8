import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuthorizationUrl, splitCommandLine, systemBrowser } from '../src/browser.js';
import { LoopauthError } from '../src/errors.js';

let dir: string;
let recorder: string;
let run = 0;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'loopauth-browser-'));
  recorder = path.join(dir, 'record.mjs');
  // A stand-in browser: writes the arguments it was given to the file named by its first argument,
  // through a rename, so that the file exists only once it is complete.
  writeFileSync(recorder, "import { renameSync, writeFileSync } from 'node:fs';\nwriteFileSync(process.argv[2] + '.part', JSON.stringify(process.argv.slice(3)));\nrenameSync(process.argv[2] + '.part', process.argv[2]);\n");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/** A BROWSER value running the recorder, and the file its argv will be in. */
function recordingBrowser(extra = ''): { command: string; argvFile: string } {
  const argvFile = path.join(dir, `argv-${++run}.json`);
  return { command: `${quote(process.execPath)} ${quote(recorder)} ${quote(argvFile)} ${extra}`, argvFile };
}

async function recordedArgv(file: string): Promise<string[]> {
  for (let waited = 0; !existsSync(file); waited += 20) {
    if (waited > 10_000) throw new Error('the BROWSER command never ran');
    await new Promise((r) => setTimeout(r, 20));
  }
  return JSON.parse(readFileSync(file, 'utf8')) as string[];
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const e: unknown = await promise.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(LoopauthError);
  return (e as LoopauthError).code;
}

/** How sh itself splits `line` into words, or undefined when sh refuses it. */
function shellWords(line: string): string[] | undefined {
  const result = spawnSync('sh', ['-c', `printf '%s\\0' - ${line}`], { encoding: 'utf8' });
  if (result.status !== 0 || result.stderr !== '') return undefined;
  return result.stdout.split('\0').slice(1, -1);
}

const url = 'https://as.example/authorize?client_id=cli&state=abc&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback';

describe('splitCommandLine', () => {
  it('fails with browser_failed on an unterminated quote', () => {
    expect(() => splitCommandLine("firefox 'oops")).toThrow(expect.objectContaining({ code: 'browser_failed' }) as Error);
    expect(() => splitCommandLine('firefox "oops')).toThrow(expect.objectContaining({ code: 'browser_failed' }) as Error);
  });

  it('gives no words for an empty or blank line', () => {
    expect(splitCommandLine('')).toEqual([]);
    expect(splitCommandLine(' \t\n ')).toEqual([]);
  });

  it('splits on runs of spaces, tabs and newlines', () => {
    expect(splitCommandLine('  firefox\t--new-tab \n -P  work ')).toEqual(['firefox', '--new-tab', '-P', 'work']);
  });

  it('keeps single-quoted text literally, backslashes included', () => {
    expect(splitCommandLine("'/opt/My Browser/run' 'a\\b' '\"x\"'")).toEqual(['/opt/My Browser/run', 'a\\b', '"x"']);
  });

  it('unescapes only \\" \\\\ \\$ and \\` inside double quotes', () => {
    expect(splitCommandLine('"a \\"b\\" \\\\ \\$ \\` \\n"')).toEqual(['a "b" \\ $ ` \\n']);
  });

  it('takes the next character literally after an unquoted backslash', () => {
    expect(splitCommandLine('my\\ browser \\\'x\\" a\\\\b')).toEqual(['my browser', '\'x"', 'a\\b']);
  });

  it('joins adjacent quoted and unquoted parts into one word, and keeps empty quotes as a word', () => {
    expect(splitCommandLine(`a"b c"'d e'f '' ""`)).toEqual(['ab cd ef', '', '']);
  });

  it('removes a backslash-newline (line continuation) everywhere, as sh does', () => {
    expect(splitCommandLine('"a\\\nb" c\\\nd')).toEqual(['ab', 'cd']);
    expect(splitCommandLine('firefox \\\n')).toEqual(['firefox']);
  });

  it('keeps a backslash that ends the line, as sh does', () => {
    expect(splitCommandLine('C:\\\\ a\\')).toEqual(['C:\\', 'a\\']);
  });

  it('splits quotes, backslashes and blanks exactly as sh does (300 generated lines)', () => {
    const pieces = ['a', 'b', ' ', '\t', "'", '"', '\\', '\\\n', '\\\\'];
    let seed = 8252;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const differences: { line: string; sh: string[]; ours: string[] | string }[] = [];
    let compared = 0;
    for (let i = 0; i < 300; i++) {
      const line = Array.from({ length: 1 + random(12) }, () => pieces[random(pieces.length)]).join('');
      const sh = shellWords(line);
      if (!sh) continue; // sh refused it too (an open quote)
      compared++;
      let ours: string[] | string;
      try {
        ours = splitCommandLine(line);
      } catch (e) {
        ours = (e as LoopauthError).code;
      }
      if (JSON.stringify(ours) !== JSON.stringify(sh)) differences.push({ line, sh, ours });
    }
    expect(compared).toBeGreaterThan(100);
    expect(differences.length, JSON.stringify(differences.slice(0, 5), null, 1)).toBe(0);
  });

  it('expands nothing: variables, ~, globs, command substitution and ; stay as written', () => {
    expect(splitCommandLine('$HOME ~ ~/x *.js $(id) `id` ; touch && |')).toEqual(['$HOME', '~', '~/x', '*.js', '$(id)', '`id`', ';', 'touch', '&&', '|']);
    expect(splitCommandLine('"$HOME" "~"')).toEqual(['$HOME', '~']);
  });
});

describe('systemBrowser with BROWSER', () => {
  it('fails with browser_failed when BROWSER is only empty quotes or has an open quote', async () => {
    expect(await codeOf(Promise.resolve(systemBrowser({ BROWSER: "''" })(url)))).toBe('browser_failed');
    expect(await codeOf(Promise.resolve(systemBrowser({ BROWSER: "firefox 'x" })(url)))).toBe('browser_failed');
  });

  it('runs the command with its own arguments and the URL as the last argument', async () => {
    const { command, argvFile } = recordingBrowser('--new-tab "arg with space"');
    await systemBrowser({ BROWSER: command })(url);
    expect(await recordedArgv(argvFile)).toEqual(['--new-tab', 'arg with space', url]);
  });

  it('hands over a URL with shell metacharacters as one argument, unchanged', async () => {
    const tricky = 'https://as.example/authorize?a=1&b=$(id);c=`id`|d';
    const { command, argvFile } = recordingBrowser();
    await systemBrowser({ BROWSER: command })(tricky);
    expect(await recordedArgv(argvFile)).toEqual([tricky]);
  });

  it('runs no shell: "; touch FILE" and "$(touch FILE)" in BROWSER create nothing', async () => {
    const marker = path.join(dir, 'pwned');
    const { command, argvFile } = recordingBrowser(`; touch ${quote(marker)} && touch "$(touch ${marker}2)"`);
    await systemBrowser({ BROWSER: command })(url);
    expect(await recordedArgv(argvFile)).toEqual([';', 'touch', marker, '&&', 'touch', `$(touch ${marker}2)`, url]);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(`${marker}2`)).toBe(false);
  });

  it('reads BROWSER from the environment it was given, not from process.env', async () => {
    const { command, argvFile } = recordingBrowser('from-option');
    const saved = process.env.BROWSER;
    process.env.BROWSER = '/nonexistent/never-run';
    try {
      await systemBrowser({ BROWSER: command })(url);
    } finally {
      if (saved === undefined) delete process.env.BROWSER;
      else process.env.BROWSER = saved;
    }
    expect(await recordedArgv(argvFile)).toEqual(['from-option', url]);
  });

  it('fails with browser_failed when the command does not exist', async () => {
    const opener = systemBrowser({ BROWSER: path.join(dir, 'no-such-browser') + ' --flag' });
    expect(await codeOf(Promise.resolve(opener(url)))).toBe('browser_failed');
  });

  it('fails with browser_failed when the command is not executable', async () => {
    const opener = systemBrowser({ BROWSER: quote(recorder) });
    expect(await codeOf(Promise.resolve(opener(url)))).toBe('browser_failed');
  });
});

describe('openAuthorizationUrl', () => {
  function recorder(fail?: Error): { opener: (u: string) => Promise<void>; opened: string[]; warnings: string[] } {
    const opened: string[] = [];
    const warnings: string[] = [];
    const opener = (u: string): Promise<void> => {
      opened.push(u);
      return fail === undefined ? Promise.resolve() : Promise.reject(fail);
    };
    return { opener, opened, warnings };
  }

  it.each(['file:///etc/passwd', 'javascript:alert(document.cookie)', 'data:text/html,<script>alert(1)</script>', 'ms-msdt:/id x', 'ftp://as.example/'])(
    'refuses %s with insecure_url before launching anything',
    async (bad) => {
      const r = recorder();
      expect(await codeOf(openAuthorizationUrl(bad, r.opener, (l) => r.warnings.push(l)))).toBe('insecure_url');
      expect(r.opened).toEqual([]);
    },
  );

  it('refuses an http(s) URL with characters a command line could misread', async () => {
    const r = recorder();
    expect(await codeOf(openAuthorizationUrl('https://as.example/authorize?x=`id`', r.opener, (l) => r.warnings.push(l)))).toBe('insecure_url');
    expect(r.opened).toEqual([]);
  });

  it('hands an https or loopback http URL to the opener unchanged', async () => {
    const r = recorder();
    await openAuthorizationUrl(url, r.opener, (l) => r.warnings.push(l));
    await openAuthorizationUrl('http://127.0.0.1:8080/authorize?state=x', r.opener, (l) => r.warnings.push(l));
    expect(r.opened).toEqual([url, 'http://127.0.0.1:8080/authorize?state=x']);
    expect(r.warnings).toEqual([]);
  });

  it('warns and resolves when the opener fails: the printed URL still works', async () => {
    const r = recorder(new LoopauthError('browser_failed', 'could not start the BROWSER command'));
    await expect(openAuthorizationUrl(url, r.opener, (l) => r.warnings.push(l))).resolves.toBeUndefined();
    expect(r.warnings).toHaveLength(1);
  });

  it('warns without repeating a foreign error message, which could hold anything', async () => {
    const r = recorder(new Error(`spawn failed for ${url}`));
    await openAuthorizationUrl(url, r.opener, (l) => r.warnings.push(l));
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).not.toContain('state=abc');
  });

  it('warns and resolves when the real BROWSER command is missing', async () => {
    const warnings: string[] = [];
    await openAuthorizationUrl(url, systemBrowser({ BROWSER: path.join(dir, 'missing') }), (l) => warnings.push(l));
    expect(warnings).toHaveLength(1);
  });
});
