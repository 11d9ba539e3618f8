// loopauth's transport without a proxy: fetch's contract over node:http(s),
// against real local HTTP and HTTPS servers.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchOverNodeHttp } from '../src/node-http.js';
import { makeCertificates, trustCaInProcess } from './helpers/tls.mjs';

const max = 64 * 1024;
const get = (url: string, init: RequestInit = {}) => fetchOverNodeHttp(url, { redirect: 'manual', ...init }, { maxBodyBytes: max });

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;
let handler: Handler = (_req, res) => res.end();
let base: string;
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => handler(req, res, body));
});
const sockets = new Set<net.Socket>();
server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

/** A server that answers every connection with these exact bytes. */
async function rawAnswer(bytes: string): Promise<string> {
  const raw = net.createServer((socket) => socket.once('data', () => socket.end(bytes)));
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  servers.push(raw);
  return `http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`;
}
const servers: net.Server[] = [];
afterAll(() => { for (const s of servers) s.close(); });

describe('fetchOverNodeHttp', () => {
  it('sends the method, headers and a form body with its content type, and returns a WHATWG Response', async () => {
    let seen: { method?: string; type?: string; accept?: string; length?: string; body?: string } = {};
    handler = (req, res, body) => {
      seen = { method: req.method, type: req.headers['content-type'], accept: req.headers.accept, length: req.headers['content-length'], body };
      res.writeHead(201, { 'content-type': 'application/json', 'x-two': ['a', 'b'] }).end('{"ok":true}');
    };
    const response = await get(`${base}/token`, { method: 'POST', headers: { accept: 'application/json' }, body: new URLSearchParams({ grant_type: 'x', a: 'é' }) });
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(201);
    expect(response.headers.get('x-two')).toBe('a, b');
    expect(await response.json()).toEqual({ ok: true });
    expect(seen).toEqual({ method: 'POST', type: 'application/x-www-form-urlencoded;charset=UTF-8', accept: 'application/json', length: String(Buffer.byteLength('grant_type=x&a=%C3%A9')), body: 'grant_type=x&a=%C3%A9' });
  });

  it('never follows a redirect: the 302 itself comes back', async () => {
    handler = (_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:9/elsewhere' }).end();
    const response = await get(`${base}/.well-known/openid-configuration`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('http://127.0.0.1:9/elsewhere');
  });

  it('decodes a gzip body as fetch does, and has no body for a 204', async () => {
    handler = (req, res) => (req.url === '/gz' ? res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('{"issuer":"x"}')) : res.writeHead(204).end());
    expect(await (await get(`${base}/gz`)).json()).toEqual({ issuer: 'x' });
    const empty = await get(`${base}/none`);
    expect([empty.status, empty.body]).toEqual([204, null]);
  });

  it('answers a body over the limit as a 502 without reading it all, also when it arrives compressed', async () => {
    handler = (req, res) => {
      const big = Buffer.alloc(max * 50, 'a');
      if (req.url === '/gz') res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(big)); // a few hundred bytes on the wire
      else res.writeHead(200).end(big);
    };
    await expect(get(`${await rawAnswer(`HTTP/1.1 200 OK\r\ncontent-length: ${64 * 1024 * 1024}\r\n\r\n{"never":`)}/`)).resolves.toMatchObject({ status: 502 }); // declared, never sent
    for (const path of ['/plain', '/gz']) {
      const response = await get(`${base}${path}`);
      expect(response.status).toBe(502);
    }
  });

  it('rejects with the signal’s reason when aborted mid-request, and at once when aborted before', async () => {
    handler = () => { /* never answers */ };
    const controller = new AbortController();
    const pending = get(`${base}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(new DOMException('stop', 'TimeoutError')), 50);
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect(get(`${base}/slow`, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects like fetch, TypeError with the cause’s code, when nothing listens or the connection drops mid-body', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    await expect(get(`http://127.0.0.1:${closed}/`)).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    // errors.ts reads the cause's code: without one the user is told "could not reach" with no reason
    const dropped = { name: 'TypeError', message: 'fetch failed', cause: { code: 'ECONNRESET' } };
    await expect(get(`${base}/drop`)).rejects.toMatchObject(dropped);
    await expect(get(`${await rawAnswer('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"cut":')}/`)).rejects.toMatchObject(dropped); // FIN, not reset
    await expect(get(`${await rawAnswer('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n9\r\n{"cut":')}/`)).rejects.toMatchObject(dropped);
  });

  it('reads a 204 or 304 that wrongly carries a body as fetch does: the answer without a body, not a failed fetch', async () => {
    for (const status of ['204 No Content', '304 Not Modified']) {
      const stray = await get(`${await rawAnswer(`HTTP/1.1 ${status}\r\ncontent-length: 5\r\n\r\nhello`)}/`);
      expect([stray.status, stray.body]).toEqual([Number(status.slice(0, 3)), null]);
    }
  });

  it('answers 205 Reset Content as a Response without a body, as fetch does, not as a failed fetch', async () => {
    const reset = await get(`${await rawAnswer('HTTP/1.1 205 Reset Content\r\ncontent-length: 0\r\n\r\n')}/`);
    expect([reset.status, reset.body]).toEqual([205, null]);
  });

  it('rejects a status a Response cannot have (600) as a failed fetch, not a crash', async () => {
    const odd = await rawAnswer('HTTP/1.1 600 Odd\r\ncontent-length: 2\r\n\r\n{}');
    await expect(get(`${odd}/`)).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });

  it('keeps a hostile reason phrase out of the way: the answer is still read', async () => {
    const phrase = await rawAnswer('HTTP/1.1 200 \x7f\u00ff weird\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
    const response = await get(`${phrase}/`);
    expect([response.status, await response.json()]).toEqual([200, {}]);
  });
});

describe('fetchOverNodeHttp over HTTPS', () => {
  let tlsServer: https.Server;
  let origin: string;
  let ca: string;
  beforeAll(async () => {
    const certs = await makeCertificates();
    ca = certs.ca;
    tlsServer = https.createServer({ key: certs.key, cert: certs.cert }, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"tls":true}'));
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
    origin = `https://127.0.0.1:${(tlsServer.address() as net.AddressInfo).port}`;
    return async () => {
      await new Promise((r) => tlsServer.close(r));
      await certs.remove();
    };
  });

  it('refuses a server whose certificate no trusted CA signed, and talks to it once its CA is trusted', async () => {
    const refused = (await get(`${origin}/`).catch((e: unknown) => e)) as TypeError & { cause?: { code?: string } };
    expect([refused.name, refused.cause?.code]).toEqual(['TypeError', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
    const untrust = await trustCaInProcess(ca);
    try {
      expect(await (await get(`${origin}/`)).json()).toEqual({ tls: true });
    } finally {
      untrust();
    }
  });
});
