/**
 * The fast flag parser must read every command line it accepts exactly as
 * yargs does, and hand everything else to yargs: checked against real yargs
 * with the same option tables, on chosen and on generated command lines.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { globalOptions, parseFlags } from '../src/cli/fast-args.js';
import type { OptionTable } from '../src/cli/fast-args.js';
import { loginOptions } from '../src/cli/login.js';
import { logoutOptions } from '../src/cli/logout.js';
import { statusOptions } from '../src/cli/status.js';

/** What yargs hands the handler, camelCase keys only; `undefined` where yargs refuses the line. */
function viaYargs(args: string[], table: OptionTable): Record<string, unknown> | undefined {
  let failed = false;
  const argv = yargs(args)
    .options({ ...table, ...globalOptions })
    .strict()
    .exitProcess(false)
    .fail(() => {
      failed = true;
    })
    .parseSync();
  if (failed || argv._.length) return undefined;
  return Object.fromEntries(Object.entries(argv).filter(([k, v]) => k !== '$0' && k !== '_' && !k.includes('-') && v !== undefined));
}

const tables: Readonly<Record<string, OptionTable>> = { login: loginOptions, status: statusOptions, logout: logoutOptions };

describe('the fast flag parser', () => {
  it.each([
    ['login', ['--issuer', 'https://a.example', '--client-id', 'x', '--no-browser']],
    ['login', ['--issuer=https://a.example', '--port', '8080', '--timeout', '2.5', '--json']],
    ['login', ['--resource', 'https://r1', '--resource', 'https://r2', '--param', 'prompt=consent', '--flow', 'device']],
    ['login', ['--redirect-host', '[::1]', '--store', 'file', '--paste', '--verbose']],
    ['login', ['--no-paste', '--insecure-storage', '--scope', 'openid email']],
    ['logout', ['--no-revoke', '--profile', 'work']],
    ['status', ['--json']],
    ['status', []],
  ])('reads %s %j exactly as yargs does', (cmd, args) => {
    const ours = parseFlags(args, { ...tables[cmd]!, ...globalOptions });
    expect(ours).toBeDefined();
    expect(ours).toEqual(viaYargs(args, tables[cmd]!));
  });

  it.each([
    ['an unknown flag', ['--bogus']],
    ['a value not among the choices', ['--flow', 'sideways']],
    ['a store that is not a choice', ['--store', 'memory']],
    ['a port that is not a number', ['--port', 'abc']],
    ['a repeated single flag', ['--timeout', '5', '--timeout', '6']],
    ['help', ['--help']],
    ['a positional', ['extra']],
    ['a boolean with a value', ['--paste=false']],
    ['a flag without its value', ['--issuer']],
    ['camelCase spelling', ['--clientId', 'x']],
    ['the end of options', ['--', '--issuer', 'x']],
  ])('leaves %s to yargs', (_, args) => {
    expect(parseFlags(args, { ...loginOptions, ...globalOptions })).toBeUndefined();
  });

  it('agrees with yargs on every generated login command line it accepts', () => {
    const flags = Object.entries(loginOptions as OptionTable);
    const valued = flags.filter(([, o]) => o.type !== 'boolean').map(([n]) => `--${n}`);
    const booleans = [...flags.filter(([, o]) => o.type === 'boolean').map(([n]) => `--${n}`), '--no-browser', '--no-paste', '--verbose'];
    const value = fc.oneof(fc.constantFrom('https://a.example', '8080', '0', '2.5', '-1', '1e3', 'auto', 'device', 'file', 'memory', '[::1]', 'x=y', ''), fc.string({ maxLength: 6 }));
    // Mostly well-formed pieces (a flag and its value, a switch), now and then a stray word.
    const piece = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...valued), value) },
      { weight: 3, arbitrary: fc.constantFrom(...booleans).map((b) => [b]) },
      { weight: 1, arbitrary: fc.constantFrom('--bogus', '--', 'stray').map((w) => [w]) },
    );
    let compared = 0;
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 5 }), (pieces) => {
        const args = pieces.flat();
        const ours = parseFlags(args, { ...loginOptions, ...globalOptions });
        if (ours === undefined) return;
        compared++;
        expect(ours).toEqual(viaYargs(args, loginOptions));
      }),
      { numRuns: 2000 },
    );
    // The property says something only if many lines got through the fast parser.
    expect(compared).toBeGreaterThan(500);
  });
});
