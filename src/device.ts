/**
 * The device authorization grant (RFC 8628), for a machine with no desktop:
 * the person opens the verification URL anywhere and types the user code.
 */
import * as oauth from 'oauth4webapi';
import { settleQuietly } from './browser.js';
import { LoopauthError, toLoopauthError } from './errors.js';
import type { ExchangedTokens } from './exchange.js';
import { resourceParams, toSecrets } from './exchange.js';
import type { FlowContext } from './flow-context.js';
import { httpOptions } from './http.js';
import { checkIdTokenSignature } from './id-token.js';
import { preloadLock } from './lock.js';
import type { LoginOptions, Session } from './options.js';
import { abortError } from './signals.js';
import { requireBrowsableEndpoint } from './urls.js';

/** Whether there is a desktop to open a browser on (RFC 8252 flows need one nearby). */
export function hasDesktop(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.SSH_CONNECTION || env.SSH_TTY) return false;
  if (process.platform === 'linux' || process.platform === 'freebsd' || process.platform === 'openbsd') {
    return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
  }
  return true;
}

/** `flow: 'auto'` takes the device grant only with no desktop, no BROWSER, a browser not turned off, and a server that has it. */
export function shouldUseDevice(options: LoginOptions, as: oauth.AuthorizationServer, env: NodeJS.ProcessEnv = process.env): boolean {
  if (options.flow === 'device') {
    if (!as.device_authorization_endpoint) {
      throw new LoopauthError('unsupported_flow', 'this server does not offer the device authorization grant; use --flow browser');
    }
    return true;
  }
  if (options.flow !== 'auto') return false;
  return !hasDesktop(env) && !env.BROWSER && options.openBrowser !== false && typeof options.openBrowser !== 'function' && Boolean(as.device_authorization_endpoint);
}

/** What the device flow needs from login(). */
export interface DeviceFlowContext extends FlowContext {
  readonly onUserCode: LoginOptions['onUserCode'];
  readonly onWarning?: LoginOptions['onWarning'];
}

/** Runs the device grant to the end and saves the session. */
export async function signInWithDevice(ctx: DeviceFlowContext, save: (tokens: ExchangedTokens) => Promise<Session>): Promise<Session> {
  const params = new URLSearchParams({ scope: ctx.scopes.join(' ') });
  for (const r of ctx.resource) params.append('resource', r);
  let device: oauth.DeviceAuthorizationResponse;
  try {
    const response = await oauth.deviceAuthorizationRequest(ctx.as, ctx.client, ctx.auth, params, httpOptions(ctx.http));
    device = await oauth.processDeviceAuthorizationResponse(ctx.as, ctx.client, response);
    // All three are printed on the person's terminal as the server sent them: checked as text.
    requireBrowsableEndpoint(device.verification_uri, "the server's verification_uri");
    if (!/^[\x21-\x7e]{1,64}$/.test(device.user_code.replace(/ /g, '-'))) {
      throw new LoopauthError('invalid_response', 'the server sent a user code that cannot be shown safely');
    }
  } catch (e) {
    throw toLoopauthError(e, { doing: 'starting the device authorization', signal: ctx.signal });
  }
  const complete = device.verification_uri_complete;
  const shown = ctx.onUserCode?.({
    verificationUri: device.verification_uri,
    ...(complete && isBrowsable(complete) ? { verificationUriComplete: complete } : {}),
    userCode: device.user_code,
    expiresIn: device.expires_in,
  });
  settleQuietly(shown, ctx.onWarning ?? ((line) => process.emitWarning(line)), 'onUserCode');
  preloadLock();
  let interval = Math.max(device.interval ?? 5, 1);
  for (;;) {
    await sleep(interval * 1000, ctx.signal, ctx.timeout);
    try {
      const response = await oauth.deviceCodeGrantRequest(ctx.as, ctx.client, ctx.auth, device.device_code, {
        ...httpOptions(ctx.http),
        ...(ctx.resource.length ? { additionalParameters: resourceParams(ctx.resource) } : {}),
      });
      const result = await oauth.processDeviceCodeResponse(ctx.as, ctx.client, response);
      await checkIdTokenSignature(ctx.as, response, result, ctx.http);
      const claims = oauth.getValidatedIdTokenClaims(result);
      return await save({ secrets: toSecrets(result, undefined), ...(claims?.sub ? { subject: claims.sub } : {}) });
    } catch (e) {
      const error = (e as { error?: unknown }).error;
      if (error === 'authorization_pending') continue;
      if (error === 'slow_down') {
        interval += 5; // RFC 8628 §3.5
        continue;
      }
      throw toLoopauthError(e, { doing: 'waiting for the device authorization', signal: ctx.signal, redact: [device.device_code, ctx.clientSecret] });
    }
  }
}

function sleep(ms: number, signal: AbortSignal, timeout: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal, 'the sign-in', timeout));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal, 'the sign-in', timeout));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** verification_uri_complete is optional: an unsafe one is left out, not fatal. */
function isBrowsable(text: string): boolean {
  try {
    requireBrowsableEndpoint(text, 'verification_uri_complete');
    return true;
  } catch {
    return false;
  }
}
