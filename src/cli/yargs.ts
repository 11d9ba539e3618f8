/** yargs wiring: the commands, global flags, and usage errors as exit 2. */
import yargs from 'yargs';
import { globalOptions } from './fast-args.js';
import { loginCommand } from './login.js';
import { logoutCommand } from './logout.js';
import { reportError, statusAfterRun, usageError } from './output.js';
import { statusCommand } from './status.js';
import { tokenCommand } from './token.js';

/** Set by scripts/bundle.mjs from package.json. */
declare const __LOOPAUTH_VERSION__: string | undefined;

/**
 * yargs' own usage message, made plainer: an unknown command is named (yargs
 * only says "Did you mean login?", even for "bogus"), and an unknown flag is
 * listed once, not also as its camelCase twin.
 */
function usageText(msg: string, args: readonly string[]): string {
  if (/^Did you mean/.test(msg)) return `unknown command ${JSON.stringify(args[0])} (${msg.replace(/^D/, 'd')})`;
  const unknown = /^(Unknown arguments?): (.*)$/.exec(msg);
  if (!unknown) return msg;
  const names = unknown[2]!.split(', ');
  const kebab = new Set(names.map((n) => n.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())).filter((n, i) => n !== names[i]));
  const kept = names.filter((n) => !kebab.has(n));
  return `${kept.length > 1 ? 'Unknown arguments' : 'Unknown argument'}: ${kept.join(', ')}`;
}

/** Runs a command through yargs; returns the exit status. */
export async function runYargs(args: readonly string[]): Promise<number> {
  const json = args.includes('--json');
  const parser = yargs([...args])
    .scriptName('loopauth')
    .usage('$0 <command> [options]\n\nOAuth 2.0 / OpenID Connect sign-in for the command line.')
    .command(loginCommand)
    .command(tokenCommand)
    .command(statusCommand)
    .command(logoutCommand)
    .options(globalOptions)
    .demandCommand(1, 'name a command: login, token, status or logout')
    .strict()
    .recommendCommands()
    .help()
    .version(typeof __LOOPAUTH_VERSION__ === 'string' ? __LOOPAUTH_VERSION__ : 'development')
    .wrap(Math.min(100, process.stderr.columns ?? 80))
    .fail((msg, err) => {
      // yargs reports both its own usage errors and the handlers' throws here.
      // It goes on to run the command unless this throws: an unknown flag or a
      // bad choice must stop before anything is started.
      // yargs' own validation errors come as a YError: those are usage errors too.
      if (err && err.name !== 'YError') throw err;
      throw usageError(usageText(msg ?? err?.message ?? 'usage error', args));
    })
    .exitProcess(false);
  try {
    await parser.parseAsync();
  } catch (e) {
    return reportError(e, json);
  }
  return statusAfterRun();
}
