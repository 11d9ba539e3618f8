/**
 * Parses a command's flags with Node's own `util.parseArgs`, from the same
 * option table that yargs is given, so that a plain `login`, `status` or
 * `logout` starts without loading yargs (with cliui and string-width, about a
 * fifth of `login`'s time until the URL). Anything out of the ordinary (help,
 * an unknown or repeated flag, a value that is not among the choices or not a
 * number, a positional) gives `undefined` and goes through yargs, so that
 * every message and exit status stays yargs' own.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import type { Options } from 'yargs';

/** A command's flags, as yargs' `.options()` takes them: kebab-case names. */
export type OptionTable = Readonly<Record<string, Options>>;

/** Flags every command takes. */
export const globalOptions: OptionTable = {
  verbose: { type: 'boolean', describe: 'Explain each step on stderr (secrets redacted); also LOOPAUTH_DEBUG=1' },
};

const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const plainNumber = /^-?\d+(\.\d+)?$/;

/** The arguments as yargs would give them to the handler (camelCase keys, defaults filled), or `undefined`. */
export function parseFlags(args: readonly string[], table: OptionTable): Record<string, unknown> | undefined {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, o] of Object.entries(table)) {
    options[name] = { type: o.type === 'boolean' ? 'boolean' : 'string', multiple: o.array === true };
    if (o.type === 'boolean') options[`no-${name}`] = { type: 'boolean' };
  }
  let tokens;
  try {
    ({ tokens } = parseArgs({ args: [...args], options, strict: true, allowPositionals: false, tokens: true }));
  } catch {
    return undefined;
  }
  const argv: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(table)) if (o.default !== undefined) argv[camel(name)] = o.default;
  const seen = new Set<string>();
  for (const t of tokens) {
    if (t.kind !== 'option') return undefined; // `--` and what follows: yargs decides
    const negated = !(t.name in table);
    const name = negated ? t.name.slice('no-'.length) : t.name;
    const o = table[name]!;
    if (!o.array && seen.has(name)) return undefined;
    seen.add(name);
    const key = camel(name);
    if (o.type === 'boolean') {
      if (t.inlineValue) return undefined; // --paste=false: yargs' reading
      argv[key] = !negated;
      continue;
    }
    const text = t.value ?? '';
    if (!t.inlineValue && text.startsWith('-')) return undefined; // `--issuer -`: yargs reads "-" as a word of its own
    if (o.type === 'number' && !plainNumber.test(text)) return undefined;
    const value = o.type === 'number' ? Number(text) : text;
    if (o.choices && !(o.choices as readonly unknown[]).includes(value)) return undefined;
    if (o.array) argv[key] = [...((argv[key] as unknown[] | undefined) ?? []), value];
    else argv[key] = value;
  }
  return argv;
}
