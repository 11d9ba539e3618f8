/**
 * Property tests over the code exchange: thousands of generated token
 * responses (status, body, fields of every type) through exchangeCode with
 * an injected fetch. Properties: only a well-formed Bearer response is ever
 * accepted, and then what is kept is sane (a printable access token, an
 * expiry between now and a year from now); everything else is a
 * LoopauthError, never another throw, and never holds the tokens it was sent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type * as oauth from 'oauth4webapi';
import { buildAuthorizationRequest } from '../../src/authorization.js';
import { LoopauthError } from '../../src/errors.js';
import { exchangeCode } from '../../src/exchange.js';

const as: oauth.AuthorizationServer = { issuer: 'https://as.example.com', token_endpoint: 'https://as.example.com/token', authorization_endpoint: 'https://as.example.com/authorize' };
const client: oauth.Client = { client_id: 'c', token_endpoint_auth_method: 'none' };
const redirectUri = 'http://127.0.0.1:5000/callback';

const tokenText = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9._~+/-]{8,40}=*$/) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'a\r\nX-Injected: 1', 'a\u001b[2J', 'a b') },
);
const field = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: arb }, { weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) });
const body = fc.record(
  {
    access_token: field(tokenText),
    token_type: field(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'mac', 'DPoP', '', 'N_A')),
    expires_in: field(fc.oneof(fc.integer({ min: -10, max: 10 }), fc.constant(1e15), fc.double(), fc.constantFrom('3600', 'soon', ''))),
    refresh_token: field(tokenText),
    scope: field(fc.string({ maxLength: 30 })),
    error: fc.constantFrom('invalid_grant', 'server_error', '<b>x</b>'),
  },
  { requiredKeys: [] },
);
const status = fc.constantFrom(200, 200, 200, 201, 400, 401, 500, 302);

describe('the code exchange over generated token responses', () => {
  it('accepts only well-formed Bearer responses, keeps sane values, and otherwise rejects with a LoopauthError holding no token (3000 responses, both kinds among them)', async () => {
    const request = await buildAuthorizationRequest(as, { clientId: 'c', redirectUri, scopes: ['offline_access'] });
    const callback = new URL(`${redirectUri}?code=the-code-123&state=${request.state}`);
    const outcomes = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(status, body, async (code, doc) => {
        const fetch = (): Promise<Response> => Promise.resolve(new Response(JSON.stringify(doc), { status: code, headers: { 'content-type': 'application/json' } }));
        const before = Math.floor(Date.now() / 1000);
        try {
          const { secrets } = await exchangeCode({ as, client, auth: () => undefined, redirectUri, request, requireIdToken: false, http: { fetch } }, callback);
          expect(code).toBe(200);
          expect(secrets.access_token).toBe(doc.access_token);
          expect(secrets.access_token).toMatch(/^[\x21-\x7e]+$/);
          expect(String(doc.token_type).toLowerCase()).toBe('bearer');
          expect(secrets.expires_at).toBeGreaterThanOrEqual(before);
          expect(secrets.expires_at).toBeLessThanOrEqual(before + 366 * 24 * 3600 + 2);
          outcomes.accepted++;
        } catch (e) {
          if (!(e instanceof LoopauthError)) throw e;
          outcomes.refused++;
          const text = `${e.message} ${JSON.stringify(e.cause)}`;
          for (const t of [doc.access_token, doc.refresh_token, 'the-code-123', request.codeVerifier]) {
            if (typeof t === 'string' && t.length >= 8) expect(text).not.toContain(t);
          }
        }
      }),
      { numRuns: 3000 },
    );
    // Both halves ran on real cases: an exchange that refused (or accepted) everything would pass them trivially.
    // About 3% of these responses are well-formed (some 90 of 3000); 30 is far below what chance gives.
    expect(outcomes.accepted).toBeGreaterThanOrEqual(30);
    expect(outcomes.refused).toBeGreaterThanOrEqual(1500);
  });
});
