/**
 * Property tests over what a server's metadata can make loopauth do: thousands
 * of generated metadata documents through discovery (with an injected fetch,
 * so no network), and generated URLs through the URL checks and the browser
 * hand-off. Properties: only https (or loopback http) endpoints are ever
 * accepted, only http(s) URLs free of command-line metacharacters reach a
 * browser, an issuer mismatch is always refused, and nothing throws but
 * LoopauthError or TypeError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAuthorizationRequest } from '../../src/authorization.js';
import { openAuthorizationUrl } from '../../src/browser.js';
import { discover } from '../../src/discovery.js';
import { LoopauthError } from '../../src/errors.js';
import { isLoopbackHost, requireBrowsableUrl, requireSecureUrl } from '../../src/urls.js';

const issuer = 'https://as.example.com';
const endpointFields = ['authorization_endpoint', 'token_endpoint', 'revocation_endpoint', 'device_authorization_endpoint', 'registration_endpoint', 'userinfo_endpoint', 'jwks_uri'] as const;

/** Hosts that are loopback, look like it, or are not. */
const host = fc.constantFrom('127.0.0.1', '127.1', '127.0.0.255', '127.255.255.256', '[::1]', 'localhost', 'LOCALHOST', 'localhost.evil.com', '127.0.0.1.nip.io', 'as.example.com', '10.0.0.1', '[::ffff:127.0.0.1]', '0.0.0.0', 'xn--80ak6aa92e.com');
const scheme = fc.constantFrom('https', 'http', 'HTTPS', 'javascript', 'file', 'data', 'vbscript', 'ftp', 'ms-msdt', 'chrome', 'blob', 'about', 'ws');
const nasty = fc.constantFrom('', '/', '/authorize', '/a b', '/$(id)', '/`id`', '/;id', '/|id', '/a^&b', "/'x'", '/"x"', '/<x>', '/{x}', '/\\x', '/%0d%0a', '/\u0000', '/\u001b[2J', '/\u202e', '?x=1&y=2', '#frag', '@evil.com', ':99999', ':443', '/..%2f..%2f');
/** URL-ish strings: mostly well-formed, many hostile, some plain garbage. */
const urlText = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(scheme, fc.constantFrom('://', ':', ':/', ':///'), host, nasty, nasty).map(([s, sep, h, a, b]) => `${s}${sep}${h}${a}${b}`) },
  { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);
const goodEndpoint = fc.constantFrom(`${issuer}/x`, 'https://other.example/x', 'http://127.0.0.1:8080/x', 'http://[::1]/x', 'http://localhost/x');
const fieldValue = fc.oneof({ weight: 16, arbitrary: goodEndpoint }, { weight: 8, arbitrary: urlText }, { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) });
/** What a valid document needs, for the generated fields to override: so that some documents pass and the checks on them run. */
const validBase = { authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token` };

/** A metadata document: the right issuer (mostly), endpoints drawn from urlText. */
const metadata = fc.record(
  {
    issuer: fc.oneof({ weight: 5, arbitrary: fc.constant(issuer) }, { weight: 1, arbitrary: fc.oneof(urlText, fc.constantFrom(`${issuer}/`, `${issuer}/x`, 'https://AS.example.com', issuer.toUpperCase())) }),
    ...Object.fromEntries(endpointFields.map((f) => [f, fieldValue])),
  },
  { requiredKeys: ['issuer'] },
);

function fetchServing(body: unknown): typeof fetch {
  return () => Promise.resolve(new Response(typeof body === 'string' ? body : JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } }));
}

function isAcceptableEndpoint(text: string): boolean {
  const u = new URL(text);
  return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.hostname));
}

function expectOnlyOurErrors(e: unknown): void {
  if (!(e instanceof LoopauthError) && !(e instanceof TypeError)) throw e;
}

describe('discovery over generated metadata documents', () => {
  it('accepts only https or loopback-http endpoints and a browsable authorization endpoint, and throws only LoopauthError/TypeError (3000 documents)', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(metadata, async (doc) => {
        const as = await discover(new URL(issuer), { fetch: fetchServing({ ...validBase, ...doc }) }).catch((e: unknown) => void expectOnlyOurErrors(e));
        if (!as) return;
        accepted++;
        expect(new URL(as.issuer).href).toBe(new URL(issuer).href);
        for (const f of endpointFields) if (as[f] !== undefined) expect(isAcceptableEndpoint(as[f])).toBe(true);
        if (as.authorization_endpoint) expect(() => requireBrowsableUrl(new URL(as.authorization_endpoint!))).not.toThrow();
      }),
      { numRuns: 3000 },
    );
    // The checks above ran on real accepted documents, not only on refusals.
    expect(accepted).toBeGreaterThan(30);
  });

  it('always refuses a document whose issuer is not the one asked for, with discovery_failed (1000 documents)', async () => {
    const other = fc.oneof(urlText, fc.constantFrom(`${issuer}/x`, 'https://as.example.com.evil.com', 'http://as.example.com', `${issuer}:8443`));
    // oauth4webapi compares issuers as parsed URLs: a trailing slash or an upper-case host is the same issuer.
    const sameIssuer = (text: string): boolean => {
      try {
        return new URL(text).href === new URL(issuer).href;
      } catch {
        return false;
      }
    };
    await fc.assert(
      fc.asyncProperty(other, async (wrong) => {
        fc.pre(!sameIssuer(wrong));
        // Otherwise a valid document: only the issuer can be what refuses it.
        const r = await discover(new URL(issuer), { fetch: fetchServing({ ...validBase, issuer: wrong }) }).then(
          () => 'accepted',
          (e: unknown) => (expectOnlyOurErrors(e), (e as LoopauthError).code),
        );
        expect(r).toBe('discovery_failed');
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses arbitrary bytes as metadata with discovery_failed or insecure_url, never another error (1000 bodies)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), async (body) => {
        const r = await discover(new URL(issuer), { fetch: fetchServing(body) }).then(() => 'accepted', (e: unknown) => (expectOnlyOurErrors(e), (e as LoopauthError).code));
        expect(['discovery_failed', 'insecure_url']).toContain(r);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('URL checks over generated URLs', () => {
  it('requireSecureUrl accepts only https, or http on a loopback host judged by text (5000 URLs, both kinds among them)', () => {
    const outcomes = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(urlText, (text) => {
        let url: URL;
        try {
          url = new URL(text);
        } catch {
          return;
        }
        let accepted = true;
        try {
          requireSecureUrl(url, 'the URL');
        } catch (e) {
          expect(e).toBeInstanceOf(LoopauthError);
          accepted = false;
        }
        if (accepted) expect(url.protocol === 'https:' || (url.protocol === 'http:' && /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/.test(url.hostname))).toBe(true);
        outcomes[accepted ? 'accepted' : 'refused']++;
      }),
      { numRuns: 5000 },
    );
    // A check that refused every URL would pass the property above trivially.
    expect(outcomes.accepted).toBeGreaterThanOrEqual(250);
    expect(outcomes.refused).toBeGreaterThanOrEqual(250);
  });

  it('hands a browser only http(s) URLs free of command-line metacharacters, and always the URL it was given (5000 URLs, some of them opened)', async () => {
    let handedOver = 0;
    await fc.assert(
      fc.asyncProperty(urlText, async (text) => {
        const opened: string[] = [];
        try {
          await openAuthorizationUrl(text, (u) => opened.push(u), () => undefined);
        } catch (e) {
          expectOnlyOurErrors(e);
        }
        for (const u of opened) {
          expect(u).toBe(text);
          expect(['http:', 'https:']).toContain(new URL(u).protocol);
          expect(u).not.toMatch(/[\s"'`\\<>{}|^$;()]/);
        }
        handedOver += opened.length;
      }),
      { numRuns: 5000 },
    );
    // The loop above checks only what was opened: a hand-off that opened nothing would pass it trivially.
    expect(handedOver).toBeGreaterThanOrEqual(250);
  });

  it('builds authorization URLs that begin with the accepted endpoint and pass the browser check, whatever the extra parameters (1000 requests)', async () => {
    let built = 0;
    const endpoint = urlText.filter((t) => {
      try {
        return isAcceptableEndpoint(t) && !/[\s"'`\\<>{}|^$;()]/.test(t);
      } catch {
        return false;
      }
    });
    await fc.assert(
      fc.asyncProperty(endpoint, fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 30 }), { maxKeys: 3 }), fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }), async (ep, extra, scopes) => {
        let as;
        try {
          as = await discover(new URL(issuer), { fetch: fetchServing({ issuer, authorization_endpoint: ep, token_endpoint: `${issuer}/token` }) });
        } catch (e) {
          expectOnlyOurErrors(e);
          return;
        }
        const req = await buildAuthorizationRequest(as, { clientId: 'c', redirectUri: 'http://127.0.0.1:5000/callback', scopes: ['openid', ...scopes], extraParams: extra });
        expect(() => requireBrowsableUrl(new URL(req.url))).not.toThrow();
        expect(new URL(req.url).origin).toBe(new URL(ep).origin);
        expect(new URL(req.url).pathname).toBe(new URL(ep).pathname);
        built++;
      }),
      { numRuns: 1000 },
    );
    // Documents that discovery refused are skipped above: most must have got through for the checks to mean anything.
    expect(built).toBeGreaterThanOrEqual(500);
  });
});
