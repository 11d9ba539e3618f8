/**
 * Ctrl-C and SIGTERM: abort the operation (the listener closes, nothing is
 * saved), then exit 130 / 143. A second signal, or a flow that does not
 * wind down within two seconds, exits at once.
 */
import { LoopauthError } from '../errors.js';
import { exitCodes, interrupted } from './output.js';

let installed: AbortSignal | undefined;

/** An AbortSignal that fires on SIGINT/SIGTERM (handlers installed on first call). */
export function interruptSignal(): AbortSignal {
  if (installed) return installed;
  const controller = new AbortController();
  const on = (name: 'SIGINT' | 'SIGTERM', status: number) => () => {
    if (interrupted.status !== undefined) process.exit(status);
    interrupted.status = status;
    controller.abort(new LoopauthError('cancelled', name === 'SIGINT' ? 'interrupted (Ctrl-C)' : 'terminated (SIGTERM)'));
    setTimeout(() => process.exit(status), 2000).unref();
  };
  process.on('SIGINT', on('SIGINT', exitCodes.sigint));
  process.on('SIGTERM', on('SIGTERM', exitCodes.sigterm));
  installed = controller.signal;
  return installed;
}
