// A stand-in for the browser, for benchmarks that sign in hundreds of times:
// it follows the authorization server's redirects over plain HTTP with a
// cookie jar and fills in the demo server's sign-in form (scripts/auth-pages.mjs),
// which is all a browser does on that path. Tests use real Chromium instead.

import http from 'node:http';

const MAX_HOPS = 20;

/**
 * Visits the callback URL on a connection of its own, closed after (a pooled
 * socket to the closed listener would stay in this process and be counted as
 * loopauth's); resolves with the status once the whole answer is in.
 * @param {string} url
 * @returns {Promise<number | undefined>}
 */
export function deliverOnce(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
}

/**
 * Walks from the authorization URL to the redirect back to the app and
 * returns that callback URL unvisited: {@link deliverOnce} visits it (a
 * benchmark times what happens after it).
 * @param {string} authorizationUrl
 * @param {{ username?: string, password?: string }} [options]
 * @returns {Promise<string>}
 */
export async function signInOverHttp(authorizationUrl, { username = 'demo', password = 'demo' } = {}) {
  const origin = new URL(authorizationUrl).origin;
  const jar = new Map();
  let url = authorizationUrl;
  let body;
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    if (new URL(url).origin !== origin) {
      // Back at the app: the redirect URI with code and state.
      return url;
    }
    const res = await fetch(url, {
      method: body ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(body ? { body } : {}),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const text = await res.text();
    body = undefined;
    const location = res.headers.get('location');
    if (location) {
      url = new URL(location, url).href;
      continue;
    }
    const form = /<form method="post" action="([^"]+\/login)"/.exec(text);
    if (res.status === 200 && form) {
      url = new URL(form[1].replaceAll('&amp;', '&'), url).href;
      body = new URLSearchParams({ username, password }).toString();
      continue;
    }
    throw new Error(`sign-in stand-in stuck at ${new URL(url).pathname} (HTTP ${res.status})`);
  }
  throw new Error('sign-in stand-in: too many redirects');
}
