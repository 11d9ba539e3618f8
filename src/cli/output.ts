/**
 * The command line's output rules in one place: stdout carries only results,
 * everything human goes to stderr, a failure ends with
 * `loopauth: <code>: <message>`, and each code has one exit status.
 */
import { LoopauthError, sanitizeText } from '../errors.js';
import type { Session } from '../options.js';

/** Exit statuses of the contract. */
export const exitCodes = { ok: 0, failure: 1, usage: 2, noSession: 3, sigint: 130, sigterm: 143 } as const;

const usageCodes = new Set(['usage', 'client_id_required', 'invalid_url']);

/** The exit status for an error code. */
export function exitCodeFor(code: string): number {
  if (usageCodes.has(code)) return exitCodes.usage;
  if (code === 'login_required') return exitCodes.noSession;
  return exitCodes.failure;
}

/**
 * Writes a line to stderr, with control characters removed: lines carry
 * values a server chose (a subject, a scope, a description), and an escape
 * sequence in them would drive the person's terminal.
 */
export function say(line: string): void {
  process.stderr.write(`${sanitizeText(line, 10_000)}\n`);
}

/** Writes a result to stdout. */
export function result(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Writes one JSON object to stdout. */
export function resultJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Set by the signal handlers: a run cut short by a signal exits with its status. */
export const interrupted: { status?: number } = {};

/** The exit status of a command that returned: 130/143 when a signal cut the run short (even if it got to its end), else `process.exitCode`, else 0. */
export function statusAfterRun(): number {
  if (interrupted.status !== undefined) return interrupted.status;
  return typeof process.exitCode === 'number' ? process.exitCode : exitCodes.ok;
}

/** Reports an error as the contract says and returns the exit status. */
export function reportError(e: unknown, json: boolean): number {
  const err =
    e instanceof LoopauthError
      ? e
      : e instanceof TypeError
        ? new LoopauthError('usage', e.message)
        : new LoopauthError('internal_error', 'unexpected failure (run with --verbose for details)');
  const message = sanitizeText(err.message, 1000);
  if (json) resultJson({ error: { code: err.code, message } });
  say(`loopauth: ${err.code}: ${message}`);
  if (interrupted.status !== undefined) return interrupted.status;
  return exitCodeFor(err.code);
}

/** A usage error (exit 2). */
export function usageError(message: string): LoopauthError {
  return new LoopauthError('usage', message);
}

/** The debug sink for `--verbose` / `LOOPAUTH_DEBUG=1`. */
export function debugSink(verbose: boolean | undefined): ((line: string) => void) | undefined {
  const on = verbose === true || (process.env.LOOPAUTH_DEBUG !== undefined && process.env.LOOPAUTH_DEBUG !== '' && process.env.LOOPAUTH_DEBUG !== '0');
  return on ? (line) => say(`loopauth: debug: ${sanitizeText(line, 400)}`) : undefined;
}

/** Seconds from now until a date, for people. */
export function untilText(date: Date | undefined): string {
  if (!date) return 'unknown';
  const s = Math.round((date.getTime() - Date.now()) / 1000);
  const span = Math.abs(s) < 120 ? `${Math.abs(s)} s` : Math.abs(s) < 7200 ? `${Math.round(Math.abs(s) / 60)} min` : `${Math.round(Math.abs(s) / 3600)} h`;
  return `${date.toISOString()} (${s >= 0 ? `in ${span}` : `${span} ago`})`;
}

/** A session as `login --json` and `status --json` print it: wire-style names, never a secret. */
export function sessionJson(s: Session): Record<string, unknown> {
  return {
    profile: s.profile,
    issuer: s.issuer,
    client_id: s.clientId,
    subject: s.subject ?? null,
    scopes: s.scopes,
    expires_at: s.expiresAt?.toISOString() ?? null,
    store: s.store,
    ...(s.resource ? { resource: s.resource } : {}),
  };
}
