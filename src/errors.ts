/**
 * One error class for every failure loopauth reports, and the one function
 * that turns lower-level errors (oauth4webapi's, Node's) into it.
 *
 * oauth4webapi's errors are never rethrown or kept as `cause`: they carry the
 * callback's parameters and whole token responses, i.e. codes and tokens.
 */
import type { ResponseBodyError, AuthorizationResponseError } from 'oauth4webapi';

/**
 * Stable error codes. Besides these, `code` may be any `error` value an
 * authorization server sent (`access_denied`, `invalid_grant`, ...).
 */
export type LoopauthErrorCode =
  | 'timeout'
  | 'cancelled'
  | 'port_in_use'
  | 'discovery_failed'
  | 'insecure_url'
  | 'keychain_unavailable'
  | 'login_required'
  | 'client_id_required'
  | 'invalid_callback'
  | 'invalid_response'
  | 'invalid_id_token'
  | 'network_error'
  | 'server_error'
  | 'revocation_failed'
  | 'profile_corrupt'
  | 'profile_unsupported_version'
  | 'store_failed'
  | 'lock_failed'
  | 'browser_failed'
  | 'userinfo_unsupported'
  | 'usage'
  | (string & {});

/** A scrubbed summary of what went wrong underneath: never a raw response. */
export interface LoopauthErrorCause {
  /** The server's `error` value, when it sent one. */
  readonly error?: string;
  /** The server's `error_description`, control characters removed. */
  readonly error_description?: string;
  /** HTTP status of the response that failed. */
  readonly status?: number;
  /** The lower-level error's code (`OAUTH_INVALID_RESPONSE`, `ECONNREFUSED`, ...). */
  readonly code?: string;
}

/**
 * The error every public loopauth function rejects with (misuse of the API
 * throws a `TypeError` instead).
 *
 * @example
 * ```ts
 * try { await getAccessToken() } catch (e) {
 *   if (e instanceof LoopauthError && e.code === 'login_required') await login({ issuer })
 * }
 * ```
 */
export class LoopauthError extends Error {
  /** A stable code; see {@link LoopauthErrorCode}. */
  readonly code: LoopauthErrorCode;
  declare readonly cause?: LoopauthErrorCause;

  constructor(code: LoopauthErrorCode, message: string, cause?: LoopauthErrorCause) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'LoopauthError';
    this.code = code;
  }
}

/** Removes control characters (terminal escapes included) and caps length. */
export function sanitizeText(text: string, max = 500): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, ' ');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** A server `error` value is only kept as our code when it looks like one. */
function safeErrorValue(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\x21-\x7e]{1,64}$/.test(value) && /^[a-z0-9_.-]+$/i.test(value)
    ? value
    : undefined;
}

function describe(error: string, description: string | undefined): string {
  return `the authorization server answered ${error}${description ? `: ${description}` : ''}`;
}

/**
 * The server's description, cleaned for a terminal, with every secret of the
 * request taken out: a hostile or careless server may echo the code, the
 * verifier or the client secret back, and we must not print them.
 */
function cleanDescription(description: unknown, redact: readonly (string | undefined)[] | undefined): string | undefined {
  if (typeof description !== 'string' || description === '') return undefined;
  let text = description;
  for (const secret of redact ?? []) if (secret && secret.length >= 4) text = text.split(secret).join('[redacted]');
  return sanitizeText(text);
}

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function nodeCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && networkCodes.has(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** What the caller was doing, to make messages actionable. */
export interface ErrorContext {
  /** e.g. "exchanging the authorization code", "refreshing the access token" */
  readonly doing: string;
  /** The abort signal of the operation, to tell a timeout from a cancel. */
  readonly signal?: AbortSignal;
  /** Secrets the request carried (code, verifier, tokens, client secret): never repeated from the server's answer. */
  readonly redact?: readonly (string | undefined)[];
}

/**
 * Maps any error thrown below loopauth's public API to a {@link LoopauthError}.
 * The single place where oauth4webapi's errors are read.
 */
export function toLoopauthError(e: unknown, ctx: ErrorContext): LoopauthError {
  if (e instanceof LoopauthError) return e;
  const reason = ctx.signal?.aborted ? (ctx.signal.reason as unknown) : undefined;
  if (reason instanceof LoopauthError) return reason;
  if (ctx.signal?.aborted) {
    const isTimeout = reason instanceof DOMException && reason.name === 'TimeoutError';
    return isTimeout
      ? new LoopauthError('timeout', `timed out while ${ctx.doing}`)
      : new LoopauthError('cancelled', `cancelled while ${ctx.doing}`);
  }
  const err = e as { name?: string; code?: unknown; error?: unknown; error_description?: unknown; status?: unknown };
  if (err?.name === 'ResponseBodyError') {
    const rb = e as ResponseBodyError;
    const value = safeErrorValue(rb.error) ?? 'server_error';
    const description = cleanDescription(rb.error_description, ctx.redact);
    const cause: LoopauthErrorCause = { error: value, status: rb.status, ...(description ? { error_description: description } : {}) };
    return new LoopauthError(value, `${describe(value, description)} while ${ctx.doing}`, cause);
  }
  if (err?.name === 'AuthorizationResponseError') {
    const ar = e as AuthorizationResponseError;
    const value = safeErrorValue(ar.error) ?? 'server_error';
    const description = cleanDescription(ar.error_description, ctx.redact);
    const cause: LoopauthErrorCause = { error: value, ...(description ? { error_description: description } : {}) };
    return new LoopauthError(value, describe(value, description), cause);
  }
  if (err?.name === 'WWWAuthenticateChallengeError') {
    const status = typeof err.status === 'number' ? err.status : undefined;
    return new LoopauthError('invalid_client', `the authorization server refused the client while ${ctx.doing}`, {
      ...(status ? { status } : {}),
      code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
    });
  }
  if (err?.name === 'OperationProcessingError' || err?.name === 'UnsupportedOperationError') {
    const code = typeof err.code === 'string' ? err.code : 'OAUTH_INVALID_RESPONSE';
    const status = responseStatus(e);
    const ours = code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' || code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED'
      ? 'invalid_id_token'
      : status !== undefined && status >= 500
        ? 'server_error'
        : 'invalid_response';
    // oauth4webapi's messages name the failed check, never a value; keep them short.
    const what = sanitizeText(String((e as Error).message), 160);
    return new LoopauthError(ours, `unexpected answer from the authorization server while ${ctx.doing} (${what})`, {
      code,
      ...(status !== undefined ? { status } : {}),
    });
  }
  const net = nodeCode(e);
  if (net || (e instanceof TypeError && /fetch failed/.test(e.message))) {
    return new LoopauthError('network_error', `could not reach the authorization server while ${ctx.doing}${net ? ` (${net})` : ''}`, {
      ...(net ? { code: net } : {}),
    });
  }
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError') {
    return err.name === 'TimeoutError'
      ? new LoopauthError('timeout', `timed out while ${ctx.doing}`)
      : new LoopauthError('cancelled', `cancelled while ${ctx.doing}`);
  }
  return new LoopauthError('internal_error', `unexpected failure while ${ctx.doing}`, {
    ...(typeof err?.code === 'string' ? { code: err.code } : {}),
  });
}

function responseStatus(e: unknown): number | undefined {
  const cause = (e as { cause?: unknown }).cause;
  if (cause && typeof cause === 'object' && 'status' in cause && typeof (cause as Response).status === 'number') {
    return (cause as Response).status;
  }
  return undefined;
}
