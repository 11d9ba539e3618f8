// A real OpenID Connect provider (oidc-provider, in-process) on loopback, for
// tests and the demo: native demo clients, one demo user, our own sign-in and
// consent pages, a request log with secrets redacted, and fault hooks.
// Run it by hand with: node scripts/auth-server.mjs [--https] [--port N] [--consent]
import { generateKeyPair, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
// The stock in-memory adapter, passed explicitly: oidc-provider warns loudly
// when it has to pick it itself. (Not in the package's documented API, but
// the package has no "exports" map, and this file is stable across v9.)
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';
import { handleInteraction, providerPages } from './auth-pages.mjs';
import { makeCertificates } from './tls-certs.mjs';
import { basicClientId, readBody, redact, replayRequest, toObject } from './request-log.mjs';

// oidc-provider 9 prints "Unsupported runtime" at import time on Node 20; the
// parts used here work on Node 20, and the notice would clutter every test run.
const { default: Provider, errors: oidcErrors } = await (async () => {
  const warn = console.warn;
  console.warn = (...args) => { if (!/Unsupported runtime/.test(String(args[0]))) warn(...args); };
  try { return await import('oidc-provider'); } finally { console.warn = warn; }
})();

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const OIDC_SCOPES = new Set(['openid', 'offline_access', 'profile', 'email']);
// oidc-provider's default routes (not overridden below).
const TOKEN_PATH = '/token';
const AUTHZ_PATHS = new Set(['/auth', '/request']);
const CLIENT_AUTH_PATHS = new Set([TOKEN_PATH, '/token/revocation', '/device/auth', '/request']);

/** @typedef {import('./request-log.mjs').LoggedRequest} LoggedRequest */
/** @typedef {{ status?: number, body?: unknown, headers?: Record<string, string> }} FaultAnswer */

/**
 * oidc-provider drops offline_access unless the request says prompt=consent
 * (OIDC Core §11). Many real servers do not insist, and native clients get a
 * consent prompt here anyway, so add it: refresh tokens then come whenever
 * offline_access is asked for. prompt=none is left alone.
 */
function allowOfflineAccess(/** @type {URLSearchParams} */ search) {
  const scope = (search.get('scope') ?? '').split(' ');
  const prompt = (search.get('prompt') ?? '').split(' ').filter(Boolean);
  if (!scope.includes('offline_access') || prompt.includes('consent') || prompt.includes('none')) return false;
  search.set('prompt', [...prompt, 'consent'].join(' '));
  return true;
}

/**
 * Starts the authorization server on 127.0.0.1. Every option is optional.
 * @param {object} [options]
 * @param {number} [options.port=0]
 * @param {boolean} [options.https=false]
 * @param {boolean} [options.autoConsent=true]
 * @param {boolean} [options.rotateRefreshTokens=true]
 * @param {number} [options.accessTokenTtl=3600]
 * @param {number} [options.idTokenTtl=3600]
 * @param {number} [options.refreshTokenTtl=1209600]
 * @param {boolean} [options.registration=false]
 * @param {boolean} [options.deviceFlow=false]
 * @param {boolean} [options.resourceIndicators=false]
 * @param {'jwt' | 'opaque'} [options.resourceTokenFormat='jwt']
 * @param {boolean} [options.revocation=true]
 * @param {boolean} [options.strictClientAuth=true]  reject client_secret_basic from a client_secret_post client and vice versa
 * @param {string[]} [options.clientAuthMethods]  token_endpoint_auth_methods_supported
 * @param {object[]} [options.clients]  more client metadata, appended
 * @param {(entry: LoggedRequest) => void} [options.onRequest]
 */
export async function startAuthServer(options = {}) {
  const {
    autoConsent = true, rotateRefreshTokens = true, accessTokenTtl = 3600, idTokenTtl = 3600,
    refreshTokenTtl = 14 * 24 * 3600, registration = false, deviceFlow = false,
    resourceIndicators = false, resourceTokenFormat = 'jwt', revocation = true, strictClientAuth = true,
    clientAuthMethods = ['none', 'client_secret_basic', 'client_secret_post'], onRequest,
  } = options;
  const certs = options.https ? await makeCertificates() : undefined;
  const server = certs ? https.createServer({ key: certs.key, cert: certs.cert }) : http.createServer();
  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => { server.off('error', reject); resolve(undefined); });
    });
  } catch (error) {
    await certs?.remove(); // a busy fixed port, say
    throw error;
  }
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  const issuer = `${certs ? 'https' : 'http'}://127.0.0.1:${port}`;

  const user = { username: 'demo', password: 'demo', sub: 'demo-user-1', name: 'Demo User', email: 'demo@example.com' };
  const native = {
    application_type: 'native',
    // Any port matches for loopback redirect URIs of native clients (RFC 8252 §7.3): oidc-provider does it.
    redirect_uris: ['http://127.0.0.1/callback', 'http://[::1]/callback', 'http://localhost/callback'],
    grant_types: ['authorization_code', 'refresh_token', ...(deviceFlow ? [DEVICE_GRANT] : [])],
    response_types: ['code'],
  };
  const builtIn = [
    { ...native, client_id: 'demo-cli', token_endpoint_auth_method: 'none' },
    { ...native, client_id: 'secret-cli', client_secret: 'demo-secret-value-123', token_endpoint_auth_method: 'client_secret_basic' },
    { ...native, client_id: 'post-cli', client_secret: 'post-secret-value-456', token_endpoint_auth_method: 'client_secret_post' },
  ].filter((c) => clientAuthMethods.includes(c.token_endpoint_auth_method));
  const clients = [...builtIn, ...(options.clients ?? [])];

  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const pages = providerPages();
  const provider = new Provider(issuer, {
    adapter: createMemoryAdapter(0),
    clients: structuredClone(clients),
    clientAuthMethods,
    responseTypes: ['code'], // a code-flow-only server: no implicit or hybrid
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
    clientBasedCORS: () => false, // native apps make no CORS requests (and the default prints a notice)
    conformIdTokenClaims: false, // the ID token carries name/email, as most real servers' do
    async findAccount(ctx, sub) {
      if (sub !== user.sub) return undefined;
      return { accountId: sub, claims: async () => ({ sub, name: user.name, email: user.email, email_verified: true }) };
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    // With `true`, oidc-provider consumes the old token on every refresh; a consumed one presented again revokes the grant.
    rotateRefreshToken: rotateRefreshTokens,
    pkce: { required: () => true },
    ttl: {
      AccessToken: accessTokenTtl, IdToken: idTokenTtl, RefreshToken: refreshTokenTtl, AuthorizationCode: 60,
      Interaction: 3600, Session: 14 * 24 * 3600, Grant: 14 * 24 * 3600, DeviceCode: 600,
      ClientCredentials: 600, BackchannelAuthenticationRequest: 600, PreAuthorizedCode: 600,
    },
    renderError: pages.renderError,
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: revocation, allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId },
      userinfo: { enabled: true },
      introspection: { enabled: false },
      registration: { enabled: registration },
      deviceFlow: { enabled: deviceFlow, ...pages.deviceFlow },
      rpInitiatedLogout: { enabled: true, ...pages.rpInitiatedLogout },
      resourceIndicators: resourceIndicators
        ? {
          enabled: true,
          defaultResource: async (ctx, client, oneOf) => oneOf,
          useGrantedResource: async () => true,
          async getResourceServerInfo(ctx, resource) {
            if (!/^https?:/.test(resource)) throw new oidcErrors.InvalidTarget('only http(s) resources here');
            // Any non-OpenID scope asked for is one of this resource's.
            const e = ctx.oidc.entities ?? {};
            const asked = [ctx.oidc.params?.scope, e.AuthorizationCode?.scope, e.RefreshToken?.scope, e.DeviceCode?.scope];
            const scope = [...new Set(asked.join(' ').split(' '))].filter((s) => s && !OIDC_SCOPES.has(s)).join(' ');
            return {
              scope, audience: resource, accessTokenTTL: accessTokenTtl, accessTokenFormat: resourceTokenFormat,
              ...(resourceTokenFormat === 'jwt' ? { jwt: { sign: { alg: 'RS256' } } } : {}),
            };
          },
        }
        : { enabled: false },
    },
  });
  provider.on('server_error', (ctx, error) => console.error('auth-server: server_error', error));
  const providerCallback = provider.callback();

  /** @type {LoggedRequest[]} */
  const requests = [];
  /** @type {((entry: LoggedRequest) => FaultAnswer | null | undefined | Promise<FaultAnswer | null | undefined>) | null} */
  let tokenFault = null;
  let delay = { ms: 0, path: /** @type {string | null} */ (null) };

  async function handle(/** @type {http.IncomingMessage} */ req, /** @type {http.ServerResponse} */ res) {
    const url = new URL(req.url ?? '/', issuer);
    const type = String(req.headers['content-type'] ?? '');
    let body = req.method === 'POST' || req.method === 'PUT' ? await readBody(req) : undefined;
    let form, json;
    if (body && type.startsWith('application/x-www-form-urlencoded')) form = new URLSearchParams(body.toString('utf8'));
    if (body && type.startsWith('application/json')) { try { json = JSON.parse(body.toString('utf8')); } catch { /* logged as no params */ } }
    const raw = form ? toObject(form) : (json && typeof json === 'object' ? json : toObject(url.searchParams));
    /** @type {LoggedRequest} */
    const entry = {
      time: Date.now(), method: req.method ?? 'GET', path: url.pathname,
      grantType: raw.grant_type, clientId: raw.client_id ?? basicClientId(req.headers.authorization),
      params: redact(raw), authorization: /^(\S+)/.exec(req.headers.authorization ?? '')?.[1] ?? null,
    };
    requests.push(entry);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      entry.status = res.statusCode;
      entry.ms = Number(process.hrtime.bigint() - started) / 1e6; // the server's own time, for the bench
    });
    onRequest?.(entry);

    if (delay.ms > 0 && (!delay.path || delay.path === url.pathname)) await new Promise((r) => setTimeout(r, delay.ms));

    if (url.pathname === TOKEN_PATH && req.method === 'POST' && tokenFault) {
      const answer = await tokenFault(entry);
      if (answer) {
        entry.faulted = true;
        const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
        const contentType = typeof answer.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
        res.writeHead(answer.status ?? 400, { 'content-type': contentType, 'cache-control': 'no-store', ...answer.headers });
        res.end(text);
        return;
      }
    }

    if (strictClientAuth && req.method === 'POST' && CLIENT_AUTH_PATHS.has(url.pathname) && entry.clientId) {
      // oidc-provider takes either secret method from a client registered for one of them
      // (its choice); here a client must use its own, so tests see which one was sent.
      const registered = (await provider.Client.find(String(entry.clientId)).catch(() => undefined))?.clientAuthMethod;
      const used = entry.authorization?.toLowerCase() === 'basic' ? 'client_secret_basic' : form?.has('client_secret') ? 'client_secret_post' : undefined;
      if (used && registered?.startsWith('client_secret_') && used !== registered) {
        // As oidc-provider answers a wrong secret: a challenge only when the header was used (RFC 6749 §5.2).
        const challenge = used === 'client_secret_basic' ? { 'www-authenticate': `Basic realm="${issuer}", error="invalid_client"` } : {};
        res.writeHead(401, { 'content-type': 'application/json', 'cache-control': 'no-store', ...challenge });
        res.end(JSON.stringify({ error: 'invalid_client', error_description: `this client authenticates with ${registered}, not ${used}` }));
        return;
      }
    }

    if (await handleInteraction({ provider, user, autoConsent }, req, res, form ?? new URLSearchParams())) return;

    if (AUTHZ_PATHS.has(url.pathname)) {
      if (req.method === 'GET' && allowOfflineAccess(url.searchParams)) req.url = url.pathname + url.search;
      if (form && allowOfflineAccess(form)) body = Buffer.from(form.toString());
    }
    providerCallback(body ? replayRequest(req, body) : req, res);
  }

  server.on('request', (req, res) => {
    handle(req, res).catch((error) => {
      console.error('auth-server: request failed', error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
    });
  });

  return {
    issuer, port, caFile: certs?.caFile, ca: certs?.ca, user, clients, requests, provider,
    /** Requests to the token endpoint, oldest first. */
    tokenRequests: () => requests.filter((r) => r.path === TOKEN_PATH),
    clearRequests: () => { requests.length = 0; },
    /** fn(entry) may answer token requests itself: return { status, body, headers }, or nothing to pass. */
    setTokenFault: (fn) => { tokenFault = fn ?? null; },
    /** Delays every request (or only those to `path`, e.g. '/token') by `ms` before handling it. */
    setDelay: (ms, { path = null } = {}) => { delay = { ms: ms ?? 0, path }; },
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
      await certs?.remove();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      https: { type: 'boolean' }, port: { type: 'string' }, consent: { type: 'boolean' },
      'device-flow': { type: 'boolean' }, registration: { type: 'boolean' }, 'resource-indicators': { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
  });
  const s = await startAuthServer({
    https: values.https, port: values.port ? Number(values.port) : 0, autoConsent: !values.consent,
    deviceFlow: values['device-flow'], registration: values.registration, resourceIndicators: values['resource-indicators'],
    onRequest: values.quiet ? undefined
      : (r) => console.error(`${r.method} ${r.path}${r.grantType ? ` ${r.grantType}` : ''}${r.clientId ? ` client=${r.clientId}` : ''}`),
  });
  console.log(s.issuer);
  console.error(`Issuer ${s.issuer}; user ${s.user.username}/${s.user.password}; clients: ${s.clients.map((c) => c.client_id).join(', ')}`);
  if (s.caFile) console.error(`CA certificate: ${s.caFile} (for NODE_EXTRA_CA_CERTS)`);
  const stop = () => { s.close().then(() => process.exit(0)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
