/** The one abort signal of an operation: the caller's, and a deadline. */
import { LoopauthError } from './errors.js';

/** An operation's abort signal, and the way to let go of it once the operation ends. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Stops the timer and unhooks from the caller's signal; call it when the operation ends. */
  clear(): void;
  /** Aborts the operation now (and clears), for work that lost its reason to go on. */
  abort(reason?: unknown): void;
}

/**
 * Combines the caller's signal with a deadline of `seconds` from now.
 *
 * Not AbortSignal.timeout + AbortSignal.any: `any` holds its sources weakly,
 * so the timeout signal can be garbage-collected and never fire (seen as a
 * `--timeout` that never ended a login once a GC ran). And cleared when the
 * operation ends: a pending 300 s timer, or a listener left on an app's
 * long-lived signal, would keep every finished login's objects alive (the
 * bench saw 40 KB a login in an app that signs in again and again).
 */
export function withDeadline(signal: AbortSignal | undefined, seconds: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`timed out after ${seconds} s`, 'TimeoutError')),
    Math.round(seconds * 1000),
  );
  timer.unref(); // the work itself keeps the process alive; the deadline must not
  const follow = (): void => {
    clearTimeout(timer);
    controller.abort(signal?.reason);
  };
  if (signal?.aborted) follow();
  else signal?.addEventListener('abort', follow, { once: true });
  const clear = (): void => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', follow);
  };
  return {
    signal: controller.signal,
    clear,
    abort: (reason) => {
      clear();
      controller.abort(reason);
    },
  };
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
