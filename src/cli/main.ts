/**
 * The command line. `token` with plain flags takes a fast path that loads
 * neither yargs nor the protocol library; everything else goes through yargs,
 * loaded only then.
 */
import { keychainCallPending, keychainCallStuck } from '../store/keychain.js';
import { exitCodes, interrupted, reportError } from './output.js';
import { exitForSignal, interruptSignal } from './signals.js';
import { parseTokenArgs, runToken } from './token.js';

/** Runs the CLI with `args` (process.argv without node and the script); returns the exit status. */
export async function main(args: readonly string[]): Promise<number> {
  if (args[0] === 'token') {
    const fast = parseTokenArgs(args.slice(1));
    if (fast) {
      return runToken(fast, interruptSignal());
    }
  }
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
