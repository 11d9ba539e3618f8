/** The one abort signal of an operation: the caller's, and a deadline. */
import { LoopauthError } from './errors.js';

/** Combines the caller's signal with a deadline of `seconds` from now. */
export function withDeadline(signal: AbortSignal | undefined, seconds: number): AbortSignal {
  const deadline = AbortSignal.timeout(Math.round(seconds * 1000));
  return signal ? AbortSignal.any([signal, deadline]) : deadline;
}

/** The error an aborted operation ends with: `timeout` or `cancelled`. */
export function abortError(signal: AbortSignal, what: string, timeoutSeconds?: number): LoopauthError {
  const reason = signal.reason as unknown;
  if (reason instanceof LoopauthError) return reason;
  if (reason instanceof DOMException && reason.name === 'TimeoutError') {
    return new LoopauthError('timeout', `${what} did not finish within ${timeoutSeconds ?? '?'} s`);
  }
  return new LoopauthError('cancelled', `${what} was cancelled`);
}

/** A promise that rejects when `signal` aborts (and never settles otherwise). */
export function rejectOnAbort(signal: AbortSignal, error: () => LoopauthError): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(error());
    signal.addEventListener('abort', () => reject(error()), { once: true });
  });
}
