/**
 * From the authorization response to tokens: the response's `state`, `iss`
 * and `error` checked, the code exchanged with the verifier kept in memory,
 * the ID token validated; all by oauth4webapi.
 */
import * as oauth from 'oauth4webapi';
import type { AuthorizationRequest } from './authorization.js';
import { toLoopauthError, LoopauthError } from './errors.js';
import type { HttpOptions } from './http.js';
import { httpOptions } from './http.js';
import { checkIdTokenSignature } from './id-token.js';
import type { SessionSecrets } from './secrets.js';
import { nowSeconds } from './secrets.js';

/** What the exchange needs besides the callback itself. */
export interface ExchangeContext {
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly auth: oauth.ClientAuth;
  /** Kept out of error messages. */
  readonly clientSecret?: string;
  readonly redirectUri: string;
  readonly request: AuthorizationRequest;
  readonly resource?: readonly string[];
  readonly requireIdToken: boolean;
  readonly http: HttpOptions;
}

/** Tokens from the token endpoint, as stored, plus the ID token's subject. */
export interface ExchangedTokens {
  readonly secrets: SessionSecrets;
  readonly subject?: string;
}

/** Checks the authorization response (state, iss, error) and swaps its code. */
export async function exchangeCode(ctx: ExchangeContext, callbackUrl: URL): Promise<ExchangedTokens> {
  let params: URLSearchParams;
  try {
    // RFC 9207: oauth4webapi requires `iss` when the server announces it, and compares it always.
    params = oauth.validateAuthResponse(ctx.as, ctx.client, callbackUrl, ctx.request.state);
  } catch (e) {
    throw toLoopauthError(e, { doing: 'checking the authorization response' });
  }
  try {
    const response = await oauth.authorizationCodeGrantRequest(ctx.as, ctx.client, ctx.auth, params, ctx.redirectUri, ctx.request.codeVerifier, {
      ...httpOptions(ctx.http),
      ...(ctx.resource?.length ? { additionalParameters: resourceParams(ctx.resource) } : {}),
    });
    const result = await oauth.processAuthorizationCodeResponse(ctx.as, ctx.client, response, {
      expectedNonce: ctx.request.nonce ?? oauth.expectNoNonce,
      requireIdToken: ctx.requireIdToken,
    });
    await checkIdTokenSignature(ctx.as, response, result, ctx.http);
    const claims = oauth.getValidatedIdTokenClaims(result);
    return { secrets: toSecrets(result, undefined), ...(claims?.sub ? { subject: claims.sub } : {}) };
  } catch (e) {
    throw toLoopauthError(e, {
      doing: 'exchanging the authorization code',
      signal: ctx.http.signal,
      redact: [params.get('code') ?? undefined, ctx.request.codeVerifier, ctx.clientSecret],
    });
  }
}

/** `resource` parameters for token requests (RFC 8707 §2.2). */
export function resourceParams(resource: readonly string[]): URLSearchParams {
  const p = new URLSearchParams();
  for (const r of resource) p.append('resource', r);
  return p;
}

/** Longest access-token lifetime believed; anything longer is a server bug. */
const maxLifetime = 366 * 24 * 3600;
/** Lifetime assumed when the server does not say (RFC 6749 §5.1 makes expires_in optional). */
const assumedLifetime = 300;

/**
 * Turns a token response into what the store keeps. A refresh response
 * without a new refresh token keeps the old one (no rotation).
 */
export function toSecrets(result: oauth.TokenEndpointResponse, previous: SessionSecrets | undefined): SessionSecrets {
  if (typeof result.access_token !== 'string' || result.access_token === '') {
    throw new LoopauthError('invalid_response', 'the token response has no access_token');
  }
  // RFC 6750 §2.1 b64token, loosely: printable ASCII without spaces. `token` prints it
  // and `token --header` builds a header line from it; a CR/LF or an escape sequence
  // would inject a header into curl -H or drive the terminal.
  if (!/^[\x21-\x7e]+$/.test(result.access_token)) {
    throw new LoopauthError('invalid_response', 'the access token has characters no bearer token may have');
  }
  // oauth4webapi also takes DPoP; loopauth sends no DPoP proof, and a DPoP-bound token
  // printed as "Authorization: Bearer" would only fail later, further from the cause.
  if (typeof result.token_type !== 'string' || result.token_type.toLowerCase() !== 'bearer') {
    throw new LoopauthError('invalid_response', 'the server issued a token that is not a Bearer token');
  }
  const expiresIn = typeof result.expires_in === 'number' && Number.isFinite(result.expires_in) && result.expires_in > 0
    ? Math.min(result.expires_in, maxLifetime)
    : assumedLifetime;
  const claims = oauth.getValidatedIdTokenClaims(result);
  const idToken = typeof result.id_token === 'string' ? result.id_token : previous?.id_token;
  const idExp = typeof result.id_token === 'string' ? claims?.exp : previous?.id_token_expires_at;
  const refresh = typeof result.refresh_token === 'string' && result.refresh_token !== '' ? result.refresh_token : previous?.refresh_token;
  const scope = typeof result.scope === 'string' ? result.scope : previous?.scope;
  return {
    access_token: result.access_token,
    token_type: typeof result.token_type === 'string' ? result.token_type : 'bearer',
    expires_at: nowSeconds() + Math.floor(expiresIn),
    ...(refresh ? { refresh_token: refresh } : {}),
    ...(idToken ? { id_token: idToken } : {}),
    ...(typeof idExp === 'number' ? { id_token_expires_at: idExp } : {}),
    ...(scope !== undefined ? { scope } : {}),
    ...(previous?.client_secret ? { client_secret: previous.client_secret } : {}),
  };
}
