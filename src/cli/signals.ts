/**
 * Ctrl-C and SIGTERM: abort the operation (the listener closes, nothing is
 * saved), then exit 130 / 143. A second signal, or a flow that does not
 * wind down within two seconds, exits at once.
 */
import { LoopauthError } from '../errors.js';
import { keychainCallPending } from '../store/keychain.js';
import { exitCodes, interrupted } from './output.js';

let installed: AbortSignal | undefined;

/**
 * Ends the process for a signal. With a keychain call in flight (a locked
 * keyring, a D-Bus that does not answer) exit() would wait for its thread,
 * tens of seconds: the signal is raised again with its default action
 * instead, which ends the process at once (the shell sees 130 / 143 all the same).
 */
export function exitForSignal(name: 'SIGINT' | 'SIGTERM', status: number): void {
  if (keychainCallPending()) {
    process.removeAllListeners(name);
    process.kill(process.pid, name);
    return;
  }
  process.exit(status);
}

/** An AbortSignal that fires on SIGINT/SIGTERM (handlers installed on first call). */
export function interruptSignal(): AbortSignal {
  if (installed) return installed;
  const controller = new AbortController();
  const on = (name: 'SIGINT' | 'SIGTERM', status: number) => () => {
    if (interrupted.status !== undefined) exitForSignal(name, status);
    interrupted.status = status;
    controller.abort(new LoopauthError('cancelled', name === 'SIGINT' ? 'interrupted (Ctrl-C)' : 'terminated (SIGTERM)'));
    setTimeout(() => exitForSignal(name, status), 2000).unref();
  };
  process.on('SIGINT', on('SIGINT', exitCodes.sigint));
  process.on('SIGTERM', on('SIGTERM', exitCodes.sigterm));
  installed = controller.signal;
  return installed;
}
