/**
 * Errors as the window may see them: loopauth's stable code and its message
 * (which never holds a secret), else a generic one; never a raw error, whose
 * message or cause could carry a server's response.
 */
import { LoopauthError } from 'loopauth';
import type { BridgeError } from './bridge.js';

/** An error as the window may see it: a LoopauthError's code and message (which never hold a secret), else a generic one. */
export function bridgeError(e: unknown): BridgeError {
  if (e instanceof LoopauthError) return { code: e.code, message: e.message };
  if (e instanceof DOMException && e.name === 'TimeoutError') return { code: 'timeout', message: 'the server did not answer in time' };
  if (e instanceof DOMException && e.name === 'AbortError') return { code: 'cancelled', message: 'the app is closing' };
  if (e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('OAUTH_')) {
    return { code: 'api_failed', message: 'the server refused the request' };
  }
  return { code: 'internal_error', message: 'something went wrong in the app; see its log' };
}
