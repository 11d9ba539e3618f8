/**
 * The authorization code flow through the system browser and the loopback
 * listener (RFC 8252 §7.3), with the pasted redirect URL as a second way in.
 */
import * as oauth from 'oauth4webapi';
import { buildAuthorizationRequest } from './authorization.js';
import { openAuthorizationUrl, settleQuietly, systemBrowser } from './browser.js';
import { LoopauthError, toLoopauthError } from './errors.js';
import type { ExchangedTokens } from './exchange.js';
import { exchangeCode } from './exchange.js';
import type { FlowContext } from './flow-context.js';
import type { Callback } from './listener.js';
import { LoopbackListener } from './listener.js';
import { preloadLock } from './lock.js';
import type { LoginOptions, Session } from './options.js';
import { errorPage, successPage } from './pages.js';
import { readPastedCallback } from './paste.js';
import { abortError, rejectOnAbort } from './signals.js';

/** What the browser flow needs from login(). */
export interface BrowserFlowContext extends FlowContext {
  readonly appName: string;
  readonly options: LoginOptions;
}

/**
 * Runs one authorization request: listener up, URL out, first valid response
 * in, code exchanged and `save` done, then the tab answered. The listener is
 * closed on every ending.
 */
export async function signInWithBrowser(ctx: BrowserFlowContext, save: (tokens: ExchangedTokens) => Promise<Session>): Promise<Session> {
  const { options } = ctx;
  const state = oauth.generateRandomState();
  const listener = await LoopbackListener.listen({
    expectedState: state,
    ...(options.redirectHost ? { host: options.redirectHost } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
  });
  const warn = options.onWarning ?? ((line: string): void => process.emitWarning(line));
  const paste = options.pasteInput ? readPastedCallback(options.pasteInput, listener.redirectUri, state, warn) : undefined;
  let callback: Callback | undefined;
  try {
    ctx.http.debug?.(`listening on ${listener.redirectUri}`);
    const request = await buildAuthorizationRequest(
      ctx.as,
      {
        clientId: ctx.client.client_id,
        redirectUri: listener.redirectUri,
        scopes: ctx.scopes,
        resource: ctx.resource,
        ...(options.extraParams ? { extraParams: options.extraParams } : {}),
      },
      state,
    );
    // An async callback that rejects must not become an unhandled rejection (a crash).
    settleQuietly(options.onAuthorizationUrl?.(request.url), warn, 'onAuthorizationUrl');
    const opener = options.openBrowser === false ? undefined : (options.openBrowser ?? systemBrowser());
    if (opener) {
      // Not awaited: an app's opener may settle only once the browser closes,
      // or once the person has signed in, which needs the listener answering.
      // openAuthorizationUrl checks the URL before anything is launched (discovery
      // already refused an unsafe authorization_endpoint); a refusal is said, not lost.
      void openAuthorizationUrl(request.url, opener, warn).catch((e: unknown) => warn(e instanceof LoopauthError ? e.message : 'the browser was not opened'));
    }
    preloadLock();
    const pasted = paste?.url.then((url): Callback => ({ url, respond: () => Promise.resolve() }));
    callback = await Promise.race([
      listener.waitForCallback(),
      ...(pasted ? [pasted] : []),
      rejectOnAbort(ctx.signal, () => abortError(ctx.signal, 'the sign-in', ctx.timeout)),
    ]);
    paste?.stop();
    const tokens = await exchangeCode(
      {
        as: ctx.as,
        client: ctx.client,
        auth: ctx.auth,
        ...(ctx.clientSecret ? { clientSecret: ctx.clientSecret } : {}),
        redirectUri: listener.redirectUri,
        request,
        resource: ctx.resource,
        requireIdToken: ctx.scopes.includes('openid') && ctx.as.jwks_uri !== undefined,
        http: ctx.http,
      },
      callback.url,
    );
    const session = await save(tokens);
    await callback.respond(successPage(ctx.appName));
    return session;
  } catch (e) {
    const err = ctx.signal.aborted ? abortError(ctx.signal, 'the sign-in', ctx.timeout) : toLoopauthError(e, { doing: 'signing in', signal: ctx.signal });
    if (callback) await callback.respond(errorPage(err.code, err.message));
    throw err;
  } finally {
    paste?.stop();
    await listener.close(ctx.signal.aborted ? abortError(ctx.signal, 'the sign-in', ctx.timeout) : new LoopauthError('cancelled', 'the sign-in ended'));
  }
}

