import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import { afterEach, describe, expect, it } from 'vitest';
import { LoopauthError, sanitizeText, toLoopauthError } from '../src/errors.js';

const as: oauth.AuthorizationServer = { issuer: 'https://as.example', token_endpoint: 'https://as.example/token' };
const client: oauth.Client = { client_id: 'cli' };
const ctx = { doing: 'refreshing the access token' };
// eslint-disable-next-line no-control-regex
const controlChars = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** What oauth4webapi throws for `work`, mapped the way every loopauth function maps it. */
async function mapped(work: () => Promise<unknown>, context: Parameters<typeof toLoopauthError>[1] = ctx): Promise<LoopauthError> {
  const thrown: unknown = await work().then(() => undefined, (e: unknown) => e);
  expect(thrown).toBeDefined();
  const e = toLoopauthError(thrown, context);
  expect(e).toBeInstanceOf(LoopauthError);
  return e;
}

const refresh = (response: Response) => () => oauth.processRefreshTokenResponse(as, client, response);

/** The error and everything reachable from it, as text: what a log line or a JSON dump could show. */
function everything(e: LoopauthError): string {
  return `${e.message} ${JSON.stringify(e)} ${JSON.stringify(e.cause)} ${String(e.stack)}`;
}

function expectScrubbedCause(e: LoopauthError): void {
  for (const key of Object.keys(e.cause ?? {})) expect(['error', 'error_description', 'status', 'code']).toContain(key);
  expect(e.cause).not.toBeInstanceOf(Error);
  expect(e.cause).not.toBeInstanceOf(Response);
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('toLoopauthError with errors oauth4webapi raises', () => {
  it('keeps a server error value only when it looks like an error code', async () => {
    const e = await mapped(refresh(json(400, { error: 'bad value <script>', error_description: 'x' })));
    expect(e.code).toBe('server_error');
    expect(everything(e)).not.toContain('<script>');
  });

  it('turns a 400 invalid_grant into code invalid_grant with a scrubbed cause', async () => {
    const e = await mapped(refresh(json(400, { error: 'invalid_grant', error_description: 'x\u001b[31m', refresh_token: 'SECRET_RT' })));
    expect(e.code).toBe('invalid_grant');
    expectScrubbedCause(e);
    expect(e.cause).toMatchObject({ error: 'invalid_grant', status: 400 });
    expect(e.cause?.error_description).toMatch(/^x/);
    expect(e.cause?.error_description).not.toMatch(controlChars);
    expect(e.message).not.toMatch(controlChars);
    expect(everything(e)).not.toContain('SECRET_RT');
  });

  it('takes the request’s secrets (ErrorContext.redact) out of a description that echoes them', async () => {
    const description = 'refresh token RT-0123456789 of client secret CS-abcdefgh is revoked';
    const e = await mapped(refresh(json(400, { error: 'invalid_grant', error_description: description })), { doing: 'refreshing', redact: ['RT-0123456789', 'CS-abcdefgh', undefined] });
    expect(e.cause?.error_description).toBe('refresh token [redacted] of client secret [redacted] is revoked');
    expect(everything(e)).not.toMatch(/RT-0123456789|CS-abcdefgh/);
  });

  it('strips bidi overrides and caps the length of a server description', async () => {
    const e = await mapped(refresh(json(400, { error: 'invalid_grant', error_description: `evil\u202etxt.exe ${'a'.repeat(5000)}` })));
    expect(e.cause?.error_description).not.toMatch(controlChars);
    expect(e.message.length).toBeLessThan(1000);
  });

  it('turns a token response without token_type into invalid_response, without the tokens it held', async () => {
    const e = await mapped(refresh(json(200, { access_token: 'SECRET_AT', refresh_token: 'SECRET_RT', id_token: 'SECRET_IDT' })));
    expect(e.code).toBe('invalid_response');
    expectScrubbedCause(e);
    expect(e.cause?.code).toBe('OAUTH_INVALID_RESPONSE');
    expect(everything(e)).not.toMatch(/SECRET_/);
  });

  it('turns a body that is not JSON into invalid_response', async () => {
    const e = await mapped(refresh(new Response('<html>login</html>', { status: 200, headers: { 'content-type': 'text/html' } })));
    expect(e.code).toBe('invalid_response');
    expect(e.cause).toEqual({ code: 'OAUTH_RESPONSE_IS_NOT_JSON', status: 200 });
  });

  it('turns a 5xx page into server_error with its status', async () => {
    const e = await mapped(refresh(new Response('<h1>Bad gateway</h1>', { status: 502, headers: { 'content-type': 'text/html' } })));
    expect(e.code).toBe('server_error');
    expect(e.cause?.status).toBe(502);
    expectScrubbedCause(e);
    expect(everything(e)).not.toContain('Bad gateway');
  });

  it('turns a 401 with a WWW-Authenticate challenge into invalid_client', async () => {
    const res = json(401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="as", error="invalid_client"' });
    const e = await mapped(refresh(res));
    expect(e.code).toBe('invalid_client');
    expect(e.cause).toEqual({ status: 401, code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE' });
  });

  it('turns an ID token for another audience into invalid_id_token, without the token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const idToken = `${b64({ alg: 'RS256' })}.${b64({ iss: as.issuer, aud: 'someone-else', sub: 'u1', iat: now, exp: now + 600 })}.c2ln`;
    const res = json(200, { access_token: 'SECRET_AT', token_type: 'bearer', id_token: idToken });
    const e = await mapped(() => oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: oauth.expectNoNonce }));
    expect(e.code).toBe('invalid_id_token');
    expect(everything(e)).not.toContain('SECRET_AT');
    expect(everything(e)).not.toContain(idToken.split('.')[1]);
  });

  it('turns an error authorization response into its error code, without the state', async () => {
    const params = new URLSearchParams({ error: 'access_denied', error_description: 'The user\u0007 said no', state: 'SECRET_STATE' });
    const e = await mapped(() => Promise.resolve().then(() => oauth.validateAuthResponse(as, client, params, 'SECRET_STATE')));
    expect(e.code).toBe('access_denied');
    expect(e.cause).toEqual({ error: 'access_denied', error_description: 'The user  said no' });
    expect(everything(e)).not.toContain('SECRET_STATE');
  });

  it('turns a callback with a wrong state into invalid_response, without either state', async () => {
    const params = new URLSearchParams({ code: 'SECRET_CODE', state: 'SECRET_OTHER' });
    const e = await mapped(() => Promise.resolve().then(() => oauth.validateAuthResponse(as, client, params, 'SECRET_STATE')));
    expect(e.code).toBe('invalid_response');
    expect(everything(e)).not.toMatch(/SECRET_/);
  });
});

describe('toLoopauthError with network failures and aborts', () => {
  const servers: http.Server[] = [];
  afterEach(() => Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r)))));

  /** A real server on loopback: `handler` decides what happens to each request. */
  async function serve(handler: http.RequestListener): Promise<string> {
    const server = http.createServer(handler);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  }

  async function closedPortUrl(): Promise<string> {
    const url = await serve(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    return url;
  }

  it('turns a refused connection into network_error with its code', async () => {
    const url = await closedPortUrl();
    const e = await mapped(() => fetch(url));
    expect(e.code).toBe('network_error');
    expect(e.cause).toEqual({ code: 'ECONNREFUSED' });
  });

  it('turns a connection the server drops into network_error', async () => {
    const url = await serve((req) => req.socket.destroy());
    expect((await mapped(() => fetch(url))).code).toBe('network_error');
  });

  it('turns an abort by a timeout signal into timeout', async () => {
    const url = await serve(() => undefined); // never answers
    const signal = AbortSignal.timeout(50);
    expect((await mapped(() => fetch(url, { signal }), { ...ctx, signal })).code).toBe('timeout');
  });

  it('turns an abort by the caller into cancelled', async () => {
    const url = await serve(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect((await mapped(() => fetch(url, { signal: controller.signal }), { ...ctx, signal: controller.signal })).code).toBe('cancelled');
  });

  it('tells timeout from cancelled by the error alone when no signal is given', async () => {
    const url = await serve(() => undefined);
    expect((await mapped(() => fetch(url, { signal: AbortSignal.timeout(50) }))).code).toBe('timeout');
    expect((await mapped(() => fetch(url, { signal: AbortSignal.abort() }))).code).toBe('cancelled');
  });

  it('hands back the LoopauthError a signal was aborted with', async () => {
    const reason = new LoopauthError('timeout', 'the sign-in timed out after 300 s');
    const controller = new AbortController();
    controller.abort(reason);
    const e = await mapped(() => fetch('http://127.0.0.1:9/', { signal: controller.signal }), { ...ctx, signal: controller.signal });
    expect(e).toBe(reason);
  });
});

describe('toLoopauthError with anything else', () => {
  it('returns a LoopauthError unchanged', () => {
    const e = new LoopauthError('port_in_use', 'port 8080 is busy');
    expect(toLoopauthError(e, ctx)).toBe(e);
  });

  it('turns an unknown error into internal_error without repeating its message', () => {
    const e = toLoopauthError(new Error('refresh_token=SECRET_RT failed'), ctx);
    expect(e.code).toBe('internal_error');
    expect(everything(e)).not.toContain('SECRET_RT');
  });
});

describe('sanitizeText', () => {
  it('replaces control characters and terminal escapes with spaces', () => {
    expect(sanitizeText('a\u001b[2Jb\r\nc\u0000d\u009be')).toBe('a [2Jb  c d e');
  });

  it('caps the text at the given length', () => {
    expect(sanitizeText('abcdef', 3)).toBe('abc…');
  });
});
