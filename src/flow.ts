/**
 * login(): the RFC 8252 flow as a sequence of named steps.
 *
 * 1. read the profile, pick the store and check it can be written
 * 2. discover the server (issuer, or a protected resource's metadata)
 * 3. get a client id (given, from the profile, or registered once)
 * 4. authorize: browser + loopback listener (+ paste), or the device grant
 * 5. exchange the code, check the ID token, save, and only then answer the tab
 */
import { LoopauthError, toLoopauthError } from './errors.js';
import { discover } from './discovery.js';
import { chooseAuthMethod, clientAuth, endpointsOf, oauthClient } from './client.js';
import type { LoginOptions, Session } from './options.js';
import { checkLoginOptions, checkTimeout, normalizeScopes, reservedParams, resolveProfileOptions } from './options.js';
import { readProfile } from './profiles.js';
import { resolveStore } from './store/index.js';
import { saveNewSession } from './session.js';
import { abortError, withDeadline } from './signals.js';
import { parseUrl, requireSecureUrl } from './urls.js';
import { signInWithBrowser } from './browser-flow.js';
import { discoverResource } from './resource.js';
import { registerClient, registeredClientId } from './registration.js';
import type { HttpOptions } from './http.js';
import type { SecretStore } from './store/types.js';
import type { AuthorizationServer } from 'oauth4webapi';
import { signInWithDevice, shouldUseDevice } from './device.js';
import type { ExchangedTokens } from './exchange.js';

const defaultScopes = ['openid', 'offline_access'];

/**
 * Signs the person in interactively and saves the session.
 *
 * @example
 * ```ts
 * import { login } from 'loopauth'
 * const session = await login({ issuer: 'https://accounts.example.com', clientId: 'my-cli' })
 * console.error(`signed in as ${session.subject}`)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8252
 */
export async function login(options: LoginOptions): Promise<Session> {
  const common = resolveProfileOptions(options);
  checkLoginOptions(options);
  const timeout = checkTimeout(options.timeout);
  const deadline = withDeadline(common.signal, timeout);
  const signal = deadline.signal;
  const plan = planLogin(options, common.root, common.profile);
  const http = { signal, ...(common.fetch ? { fetch: common.fetch } : {}), ...(common.debug ? { debug: common.debug } : {}) };
  try {
    const store = resolveStore(options.store ?? (plan.previousStore as 'keychain' | 'file' | undefined), common.appName, common.root);
    const { target, as } = await discoverWithStoreCheck(store, plan, http, timeout);
    common.debug?.(`store: ${store.kind}`);
    const clientId =
      plan.clientId ??
      registeredClientId(common.root, common.profile, as.issuer) ??
      (await registerOrExplain(as, { root: common.root, profile: common.profile, appName: common.appName, http }));
    const authMethod = chooseAuthMethod(plan.clientSecret, as.token_endpoint_auth_methods_supported);
    const ctx = {
      as,
      client: oauthClient(clientId),
      auth: clientAuth(authMethod, plan.clientSecret),
      ...(plan.clientSecret ? { clientSecret: plan.clientSecret } : {}),
      scopes: target.scopes,
      resource: target.resource,
      http,
      signal,
      timeout,
      appName: common.appName,
    };
    const save = async (tokens: ExchangedTokens): Promise<Session> =>
      saveNewSession(
        {
          root: common.root,
          profile: common.profile,
          store,
          secrets: { ...tokens.secrets, ...(plan.clientSecret ? { client_secret: plan.clientSecret } : {}) },
          data: {
            issuer: as.issuer,
            clientId,
            scopes: target.scopes,
            ...(target.resource.length ? { resource: target.resource } : {}),
            ...(plan.resourceUrl ? { resourceUrl: plan.resourceUrl.href } : {}),
            ...(tokens.subject ? { subject: tokens.subject } : {}),
            authMethod,
            server: endpointsOf(as),
          },
          signal,
        },
        plan.previousStore && plan.previousStore !== store.kind ? safeResolve(plan.previousStore, common.appName, common.root) : undefined,
      );
    if (shouldUseDevice(options, as)) return await signInWithDevice({ ...ctx, onUserCode: options.onUserCode, ...(options.onWarning ? { onWarning: options.onWarning } : {}) }, save);
    return await signInWithBrowser({ ...ctx, options }, save);
  } catch (e) {
    if (signal.aborted) throw abortError(signal, 'the sign-in', timeout);
    throw toLoopauthError(e, { doing: 'signing in', signal });
  } finally {
    deadline.clear();
  }
}

/**
 * Discovery, with the store check (a keychain round trip) running alongside
 * it. A store that fails ends the sign-in at once, even while discovery still
 * waits on a slow server, and its failure outranks discovery's: both come
 * before any browser is opened.
 */
async function discoverWithStoreCheck(store: SecretStore, plan: LoginPlan, http: HttpOptions, timeout: number): Promise<{ target: Target; as: AuthorizationServer }> {
  const lookup = withDeadline(http.signal, timeout); // discovery's own signal, cut if the store fails
  const checked = store.check?.().catch((e: unknown) => {
    lookup.abort(new LoopauthError('cancelled', 'the secret store cannot be used'));
    throw e;
  });
  try {
    const [, found] = await Promise.all([checked, findServer(plan, { ...http, signal: lookup.signal })]);
    return found;
  } catch (e) {
    await checked; // the store's failure outranks discovery's
    throw e;
  } finally {
    lookup.clear();
  }
}

async function findServer(plan: LoginPlan, http: HttpOptions): Promise<{ target: Target; as: AuthorizationServer }> {
  const target: Target = plan.resourceUrl ? await resourceTarget(plan, http) : { issuer: plan.issuer!, scopes: plan.scopes, resource: plan.resource };
  return { target, as: await discover(target.issuer, http) };
}

interface Target {
  readonly issuer: URL;
  readonly scopes: string[];
  readonly resource: string[];
}

/** --resource-url: the resource's metadata names the server, the resource and its scopes. */
async function resourceTarget(plan: LoginPlan, http: HttpOptions): Promise<Target> {
  const info = await discoverResource(plan.resourceUrl!, http);
  const scopes = plan.explicitScopes ? plan.scopes : [...new Set([...(info.scopes ?? []), ...plan.scopes])];
  return { issuer: plan.issuer ?? info.issuer, scopes, resource: [...new Set([info.resource, ...plan.resource])] };
}

/** No client id: register one if the server allows it, else say which flag is missing. */
async function registerOrExplain(as: AuthorizationServer, o: Parameters<typeof registerClient>[1]): Promise<string> {
  if (!as.registration_endpoint) {
    throw new LoopauthError('client_id_required', 'this server offers no dynamic client registration: pass --client-id (clientId)');
  }
  return registerClient(as, o);
}

function safeResolve(kind: string, appName: string, root: string) {
  return kind === 'keychain' || kind === 'file' ? resolveStore(kind, appName, root) : undefined;
}

interface LoginPlan {
  readonly issuer?: URL;
  readonly resourceUrl?: URL;
  readonly explicitScopes: boolean;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly scopes: string[];
  readonly resource: string[];
  readonly previousStore?: string;
}

/** Fills what the options leave out from the existing profile, and checks the rest. */
function planLogin(options: LoginOptions, root: string, profile: string): LoginPlan {
  const existing = readProfile(root, profile); // a corrupt or newer profile stops here, before anything starts
  const resourceUrl = options.resourceUrl === undefined ? undefined : parseUrl(options.resourceUrl, 'the resource URL');
  if (resourceUrl) requireSecureUrl(resourceUrl, 'the resource URL');
  const issuerText = options.issuer ?? (resourceUrl ? undefined : existing?.issuer);
  if ((issuerText === undefined || issuerText === '') && !resourceUrl) {
    throw new TypeError('an issuer is required: pass --issuer URL (issuer) or --resource-url URL (resourceUrl)');
  }
  const issuer = issuerText ? parseUrl(issuerText, 'the issuer') : undefined;
  if (issuer) requireSecureUrl(issuer, 'the issuer');
  const sameIssuer = existing !== undefined && (issuer ? sameUrl(existing.issuer, issuer) : resourceUrl !== undefined && existing.resourceUrl === resourceUrl.href);
  const clientId = options.clientId ?? (sameIssuer ? existing.clientId : undefined);
  if (clientId !== undefined && (typeof clientId !== 'string' || clientId === '')) throw new TypeError('clientId must be a non-empty string');
  if (options.clientSecret !== undefined && typeof options.clientSecret !== 'string') throw new TypeError('clientSecret must be a string');
  const explicitScopes = normalizeScopes(options.scopes);
  const scopes = explicitScopes ?? (sameIssuer ? [...existing.scopes] : defaultScopes);
  const resource = options.resource === undefined ? (sameIssuer ? [...(existing.resource ?? [])] : []) : typeof options.resource === 'string' ? [options.resource] : [...options.resource];
  for (const r of resource) {
    parseUrl(r, 'resource');
    if (r.includes('#')) throw new TypeError('resource must not have a fragment (RFC 8707 §2)'); // even an empty one
  }
  for (const [k, v] of Object.entries(options.extraParams ?? {})) {
    if (typeof v !== 'string') throw new TypeError(`extraParams.${k} must be a string`);
    if (reservedParams.has(k)) throw new TypeError(`extraParams may not set ${k}: loopauth sets it itself`);
  }
  return {
    ...(issuer ? { issuer } : {}),
    ...(resourceUrl ? { resourceUrl } : {}),
    explicitScopes: explicitScopes !== undefined,
    ...(clientId ? { clientId } : {}),
    ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}),
    scopes,
    resource,
    ...(existing ? { previousStore: existing.store } : {}),
  };
}

function sameUrl(a: string, b: URL): boolean {
  try {
    return new URL(a).href === b.href;
  } catch {
    return false;
  }
}
