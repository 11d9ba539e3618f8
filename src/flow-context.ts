/** What every way of signing in (browser, device) gets from login(). */
import type * as oauth from 'oauth4webapi';
import type { HttpOptions } from './http.js';

/** The server, the client and the request's scope, resolved by login(). */
export interface FlowContext {
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly auth: oauth.ClientAuth;
  /** The client secret behind `auth`, if any: only to keep it out of error messages. */
  readonly clientSecret?: string;
  readonly scopes: readonly string[];
  readonly resource: readonly string[];
  readonly http: HttpOptions;
  /** The caller's signal combined with the deadline. */
  readonly signal: AbortSignal;
  /** Seconds from the start of login(), for the timeout message. */
  readonly timeout: number;
}
