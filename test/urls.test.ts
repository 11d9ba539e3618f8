import { describe, expect, it } from 'vitest';
import { LoopauthError } from '../src/errors.js';
import { isLoopbackHost, parseUrl, requireBrowsableUrl, requireSecureUrl, safeOrigin } from '../src/urls.js';

function thrown(fn: () => unknown): LoopauthError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LoopauthError);
    return e as LoopauthError;
  }
  throw new Error('expected a LoopauthError, nothing was thrown');
}

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1.evil.com', 'localhost.evil.com', 'evil-localhost', '0.0.0.0', '10.0.0.1', '192.168.1.10', '128.0.0.1', '127.0.0.256', '127.0.0', '[::]', '[::2]', ''])(
    'is false for %j',
    (host) => expect(isLoopbackHost(host)).toBe(false),
  );

  it.each(['127.0.0.1', '127.1.2.3', '127.255.255.255', 'localhost', 'LocalHost', '[::1]', '::1'])('is true for %j', (host) =>
    expect(isLoopbackHost(host)).toBe(true),
  );
});

describe('parseUrl', () => {
  it('fails with invalid_url on text that is not an absolute URL', () => {
    expect(thrown(() => parseUrl('as.example/authorize', 'the issuer')).code).toBe('invalid_url');
    expect(thrown(() => parseUrl('', 'the issuer')).code).toBe('invalid_url');
  });

  it('returns a copy, so the caller cannot change the URL it was given', () => {
    const given = new URL('https://as.example/');
    const parsed = parseUrl(given, 'the issuer');
    parsed.pathname = '/changed';
    expect(given.href).toBe('https://as.example/');
  });
});

describe('requireSecureUrl', () => {
  const secure = (href: string): boolean => requireSecureUrl(new URL(href), 'the issuer');

  it.each([
    'http://as.example/',
    'http://127.0.0.1.evil.com/',
    'http://localhost.evil.com:8080/',
    'http://127.0.0.1@evil.com/',
    'http://0.0.0.0:8080/',
    'http://10.0.0.5/',
    'http://[::2]/',
    'ftp://as.example/',
    'ws://127.0.0.1/',
    'file:///etc/passwd',
  ])('fails with insecure_url for %s', (href) => {
    expect(thrown(() => secure(href)).code).toBe('insecure_url');
  });

  it('accepts https on any host, without insecure requests', () => {
    expect(secure('https://as.example/')).toBe(false);
    expect(secure('https://10.0.0.5:8443/issuer')).toBe(false);
  });

  it.each(['http://127.0.0.1:8080/', 'http://127.9.9.9/', 'http://localhost:3000/issuer', 'http://LOCALHOST/', 'http://[::1]:8080/'])(
    'accepts plain http on the loopback host of %s, flagging it as insecure',
    (href) => expect(secure(href)).toBe(true),
  );

  it('judges the host as the URL parser reads it (127.1 is 127.0.0.1)', () => {
    expect(secure('http://127.1:8080/')).toBe(true);
  });

  it('never puts the query or fragment of a refused URL in its message', () => {
    const e = thrown(() => secure('http://as.example/cb?code=SECRET_CODE#access_token=SECRET_TOKEN'));
    expect(e.message).not.toContain('SECRET');
    expect(e.message).toContain('http://as.example/cb');
  });
});

describe('requireBrowsableUrl', () => {
  it.each([
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'ms-msdt:/id PCWDiagnostic',
    'ftp://as.example/',
    'https://as.example/authorize?x=`id`',
    'https://as.example/authorize?x={a}|b',
  ])('fails with insecure_url for %s', (href) => {
    expect(thrown(() => requireBrowsableUrl(new URL(href))).code).toBe('insecure_url');
  });

  it('does not repeat a refused script URL in its message', () => {
    expect(thrown(() => requireBrowsableUrl(new URL('javascript:alert(document.cookie)'))).message).not.toContain('cookie');
  });

  it.each(['https://as.example/authorize?client_id=a&state=b', 'http://127.0.0.1:5000/authorize', 'http://as.example/login'])(
    'accepts the http(s) URL %s',
    (href) => expect(() => requireBrowsableUrl(new URL(href))).not.toThrow(),
  );
});

describe('safeOrigin', () => {
  it('keeps the origin and path of an http(s) URL and drops userinfo, query and fragment', () => {
    expect(safeOrigin(new URL('https://user:pw@as.example:8443/a/b?code=x#y'))).toBe('https://as.example:8443/a/b');
  });

  it('shows only the scheme of other URLs', () => {
    expect(safeOrigin(new URL('data:text/plain,secret'))).toBe('data:…');
  });
});
