/**
 * The command line. `token` with plain flags takes a fast path that loads
 * neither yargs nor the protocol library; `login`, `status` and `logout`
 * with plain flags skip yargs too (src/cli/fast-args.ts); everything else
 * (help, version, anything unusual) goes through yargs, loaded only then.
 */
import { keychainCallPending, keychainCallStuck } from '../store/keychain.js';
import type { OptionTable } from './fast-args.js';
import { exitCodes, interrupted, reportError, statusAfterRun } from './output.js';
import { exitForSignal, interruptSignal } from './signals.js';
import { parseTokenArgs, runToken } from './token.js';

interface Command {
  readonly options: OptionTable;
  readonly handler: (argv: never) => Promise<void>;
}

const plainCommands: Readonly<Record<string, () => Promise<Command>>> = {
  login: async () => (await import('./login.js')).loginCommand,
  status: async () => (await import('./status.js')).statusCommand,
  logout: async () => (await import('./logout.js')).logoutCommand,
};

/** Runs a command's handler on flags parsed without yargs; `undefined` when yargs must parse them. */
async function runPlain(args: readonly string[]): Promise<number | undefined> {
  const load = Object.hasOwn(plainCommands, args[0] ?? '') ? plainCommands[args[0]!] : undefined;
  if (!load) return undefined;
  const { parseFlags, globalOptions } = await import('./fast-args.js');
  const command = await load();
  const argv = parseFlags(args.slice(1), { ...command.options, ...globalOptions });
  if (!argv) return undefined;
  try {
    await (command.handler as (argv: Record<string, unknown>) => Promise<void>)(argv);
  } catch (e) {
    return reportError(e, argv.json === true);
  }
  return statusAfterRun();
}

/** Runs the CLI with `args` (process.argv without node and the script); returns the exit status. */
export async function main(args: readonly string[]): Promise<number> {
  if (args[0] === 'token') {
    const fast = parseTokenArgs(args.slice(1));
    if (fast) {
      return runToken(fast, interruptSignal());
    }
  }
  const plain = await runPlain(args);
  if (plain !== undefined) return plain;
  const { runYargs } = await import('./yargs.js');
  return runYargs(args);
}

/** Runs the CLI on process.argv and exits with its status. */
export function run(): void {
  void main(process.argv.slice(2))
    .catch((e: unknown) => reportError(e, false))
    // Exit now: a stuck keychain call or a lingering socket must not keep the process alive.
    .then((status) =>
      process.stdout.write('', () => {
        if (interrupted.status !== undefined && keychainCallPending()) {
          // Interrupted while the keychain still holds a thread: end by the signal itself, at once.
          process.stderr.write('', () => exitForSignal(interrupted.status === exitCodes.sigint ? 'SIGINT' : 'SIGTERM', interrupted.status!));
          return;
        }
        if (keychainCallStuck()) {
          // A stuck keychain call holds a libuv thread that exit() would join; end without it.
          process.stderr.write('', () => process.kill(process.pid, 'SIGKILL'));
          return;
        }
        process.exit(status ?? exitCodes.ok);
      }),
    );
}
