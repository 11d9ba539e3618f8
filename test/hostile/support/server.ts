/**
 * A hostile authorization server: a small node:http server on loopback that
 * answers like a real one (metadata, an authorization endpoint that redirects
 * straight back with a code, a token endpoint, JWKS) until a test swaps one
 * answer for a lie. It remembers every secret it handed out or was sent, so
 * that tests can look for them where they must never be.
 */
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A route handler; `base` is `http://127.0.0.1:<port>`. */
export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void | Promise<void>;

/** What the token endpoint is about to send, for a test to alter. */
export interface TokenContext {
  readonly issuer: string;
  readonly clientId: string;
  readonly nonce: string | undefined;
  /** What the client sent: the code, its verifier, its secret (form or HTTP Basic). */
  readonly code: string | undefined;
  readonly verifier: string | undefined;
  readonly clientSecret: string | undefined;
  readonly refreshToken: string | undefined;
  /** A valid response: access, refresh and ID token. */
  readonly valid: Record<string, unknown>;
  /** Signs claims as an ID token (with the server's key unless `key` is given). */
  idToken(claims: Record<string, unknown>, key?: KeyObject): string;
  /** Remembers a secret the test makes up, so hygiene checks look for it. */
  remember(secret: string): string;
}

/** A token endpoint answer: a JSON body, or status/headers/raw text. */
export type TokenAnswer = Record<string, unknown> | { readonly raw: string; readonly status?: number; readonly headers?: Record<string, string> };

/** Options of {@link startHostileServer}. */
export interface HostileOptions {
  /** Changes to the metadata document (fields set to `undefined` are removed). */
  readonly metadata?: (base: string) => Record<string, unknown>;
  /** Replaces the token endpoint's answer. */
  readonly token?: (ctx: TokenContext) => TokenAnswer;
  /** Replaces whole routes (path → handler), metadata and token included. */
  readonly routes?: Record<string, Handler>;
}

/** A running hostile server. */
export interface HostileServer {
  readonly issuer: string;
  /** Every code, token and verifier that crossed this server: none may leak. */
  readonly secrets: string[];
  /** Requests seen, as `METHOD /path`. */
  readonly requests: string[];
  /** How many code exchanges reached the token endpoint. */
  tokenRequests(): number;
  close(): Promise<void>;
}

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const kid = randomUUID();
/** A key the server never published: what a forger signs with. */
export const foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An RS256 JWT over `claims`. */
export function signJwt(claims: Record<string, unknown>, key: KeyObject = privateKey): string {
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/** A fresh value that looks like what a real server issues. */
export function opaque(prefix: string): string {
  return `${prefix}-${randomBytes(18).toString('base64url')}`;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Starts a hostile server on 127.0.0.1 and an ephemeral port. */
export async function startHostileServer(options: HostileOptions = {}): Promise<HostileServer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const secrets: string[] = [];
  const requests: string[] = [];
  const nonces = new Map<string, string | undefined>(); // code → nonce of its request
  const remember = (s: string): string => (secrets.push(s), s);
  let exchanges = 0;

  const metadata = (): Record<string, unknown> => {
    const doc: Record<string, unknown> = {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      id_token_signing_alg_values_supported: ['RS256'],
      ...options.metadata?.(issuer),
    };
    for (const k of Object.keys(doc)) if (doc[k] === undefined) delete doc[k];
    return doc;
  };

  const routes: Record<string, Handler> = {
    '/.well-known/openid-configuration': (_req, res) => json(res, 200, metadata()),
    '/jwks': (_req, res) => json(res, 200, { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] }),
    // Plays a server that signs the person in at once and sends the browser back with a code.
    '/authorize': (req, res) => {
      const q = new URL(req.url ?? '/', issuer).searchParams;
      const back = new URL(q.get('redirect_uri') ?? 'http://127.0.0.1:9/callback');
      const code = remember(opaque('code'));
      nonces.set(code, q.get('nonce') ?? undefined);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { location: back.href });
      res.end();
    },
    '/token': (req, res, body) => {
      exchanges++;
      const form = new URLSearchParams(body);
      const verifier = form.get('code_verifier') ?? undefined;
      if (verifier) remember(verifier);
      const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const basicSecret = basic ? decodeURIComponent(Buffer.from(basic, 'base64').toString().split(':')[1] ?? '') : undefined;
      const secret = form.get('client_secret') ?? basicSecret;
      if (secret) remember(secret);
      const clientId = form.get('client_id') ?? 'hostile-cli';
      const nonce = nonces.get(form.get('code') ?? '');
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: issuer, aud: clientId, sub: 'hostile-user', iat: now, exp: now + 600, ...(nonce ? { nonce } : {}) };
      const ctx: TokenContext = {
        issuer,
        clientId,
        nonce,
        code: form.get('code') ?? undefined,
        verifier,
        clientSecret: secret,
        refreshToken: form.get('refresh_token') ?? undefined,
        valid: {
          access_token: remember(opaque('at')),
          refresh_token: remember(opaque('rt')),
          id_token: remember(signJwt(claims)),
          token_type: 'Bearer',
          expires_in: 3600,
          scope: 'openid offline_access',
        },
        idToken: (c, key) => remember(signJwt({ ...claims, ...c }, key)),
        remember,
      };
      const answer = options.token ? options.token(ctx) : ctx.valid;
      if ('raw' in answer && typeof answer.raw === 'string') {
        res.writeHead(Number(answer.status ?? 200), { 'content-type': 'application/json', ...(answer.headers as Record<string, string>) });
        res.end(answer.raw);
      } else {
        json(res, 'error' in answer ? 400 : 200, answer);
      }
    },
    ...options.routes,
  };

  server.on('request', (req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    requests.push(`${req.method} ${path}`);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const handler = routes[path];
      if (!handler) return json(res, 404, { error: 'not_found' });
      Promise.resolve(handler(req, res, Buffer.concat(chunks).toString('utf8'))).catch(() => res.destroy());
    });
  });

  return {
    issuer,
    secrets,
    requests,
    tokenRequests: () => exchanges,
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
    },
  };
}
