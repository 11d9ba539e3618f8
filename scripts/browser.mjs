// Headless Chromium playing the person who signs in: it types into the test
// authorization server's forms (scripts/auth-pages.mjs) and clicks, like a
// person would, and follows the redirects to the app's loopback callback.
// Shared by the tests (test/helpers/browser.mjs) and the demo.
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox', // we may run as root in a container, where Chromium's sandbox cannot start
  '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

/**
 * Launches headless Chromium. Playwright gives every launch a fresh temporary
 * user-data dir (and deletes it on close), so no cookies or sessions carry
 * over between launches.
 * @param {{ executablePath?: string }} [options]  default $LOOPAUTH_CHROMIUM, else /usr/bin/chromium
 * @returns {Promise<import('playwright-core').Browser>}
 */
export function launchChromium({ executablePath = process.env.LOOPAUTH_CHROMIUM || '/usr/bin/chromium' } = {}) {
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}

/**
 * The main frame's loaded documents, in order, as a queue: each item is the
 * document's response (redirects skipped) or a failed navigation, queued on
 * DOMContentLoaded together with the navigation count at that moment. A page
 * may navigate on its own (form_post pages submit themselves), so the DOM is
 * only trusted while that count is unchanged.
 * @param {import('playwright-core').Page} page
 */
function navigations(page) {
  /** @typedef {{ response?: import('playwright-core').Response, failed?: { url: string, error: string }, generation: number }} Item */
  /** @type {Item[]} */
  const queue = [];
  /** @type {((item: Item) => void) | null} */
  let waiter = null;
  /** @type {import('playwright-core').Response | undefined} */
  let last;
  let generation = 0;
  const push = (/** @type {Omit<Item, 'generation'>} */ item) => {
    const full = { ...item, generation };
    if (waiter) { const w = waiter; waiter = null; w(full); } else queue.push(full);
  };
  const isMain = (request) => request.isNavigationRequest() && request.frame() === page.mainFrame();
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) generation += 1; });
  page.on('response', (response) => {
    const status = response.status();
    if (isMain(response.request()) && (status < 300 || status >= 400)) last = response;
  });
  page.on('requestfailed', (request) => {
    const error = request.failure()?.errorText ?? 'failed';
    if (isMain(request) && !error.includes('ERR_ABORTED')) push({ failed: { url: request.url(), error } });
  });
  page.on('domcontentloaded', () => {
    if (!page.url().startsWith('chrome-error:')) push({ response: last });
  });
  return {
    /** @param {number} timeoutMs @returns {Promise<Item>} */
    next(timeoutMs) {
      const ready = queue.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { waiter = null; reject(new Error(`no page loaded within ${timeoutMs} ms (at ${page.url()})`)); }, timeoutMs);
        waiter = (item) => { clearTimeout(timer); resolve(item); };
      });
    },
    /** @param {Item} item  true once the page has moved on from this item's document */
    stale: (item) => item.generation !== generation || queue.length > 0,
  };
}

/** @param {import('playwright-core').Response} response */
async function outcome(response) {
  return { status: response.status(), text: await response.text().catch(() => ''), url: response.url() };
}

/**
 * What the current document asks of the person, in one evaluation (so in one
 * document): 'login', 'consent', 'code' (device user code, with any
 * prefilled value), 'confirm' (device), 'self-submitting' or 'other'.
 * @param {import('playwright-core').Page} page
 */
function classify(page) {
  return page.evaluate(() => {
    /* global document -- this function runs inside the page */
    const $ = (selector) => document.querySelector(selector);
    if ($('#username') && $('#password') && $('#login')) return { kind: 'login' };
    if ($('#allow') && $('#deny')) return { kind: 'consent' };
    if ($('#user_code') && $('#continue')) return { kind: 'code', value: /** @type {HTMLInputElement} */ ($('#user_code')).value };
    if ($('#confirm')) return { kind: 'confirm' };
    if ($('form') && !$('button, input[type=submit]')) return { kind: 'self-submitting' };
    return { kind: 'other' };
  });
}

/**
 * Drives the server's pages from `startUrl` until the browser leaves the
 * server (the app's callback) or lands on a page it cannot act on.
 * @param {import('playwright-core').Browser} browser
 * @param {string} startUrl
 * @param {SignInOptions & { userCode?: string }} options
 */
async function drive(browser, startUrl, options) {
  const { username = 'demo', password = 'demo', action = 'allow', timeoutMs = 60_000, userCode } = options;
  if (!['allow', 'deny', 'wrong-password-then-allow'].includes(action)) throw new TypeError(`unknown action ${action}`);
  const serverOrigin = new URL(startUrl).origin;
  // Needed only for the HTTPS test server: Chromium trusts CAs from an NSS
  // database, not from a PEM file, so the throwaway test CA cannot be
  // trusted properly here. Node-side clients do trust it (NODE_EXTRA_CA_CERTS).
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    const nav = navigations(page);
    let failedLogin = action !== 'wrong-password-then-allow';
    let consented = false;
    page.goto(startUrl).catch(() => { /* the outcome comes through the navigation queue */ });
    for (let step = 0; step < 16; step += 1) {
      const item = await nav.next(timeoutMs);
      const { response, failed } = item;
      // Nothing listening on the callback port, say: what a person would see is Chromium's error page.
      if (failed) return { status: 0, text: failed.error, url: failed.url };
      if (!response) throw new Error(`page without a response at ${page.url()}`);
      if (new URL(response.url()).origin !== serverOrigin) {
        // The callback: the app answers it once its code exchange is over.
        if (action === 'deny' && !consented) throw new Error('action "deny" needs a consent page: start the server with autoConsent: false');
        return await outcome(response);
      }
      if (nav.stale(item)) continue;
      const shown = await classify(page).catch(() => null);
      if (!shown || nav.stale(item)) continue; // it navigated while we looked
      if (shown.kind === 'login') {
        await page.locator('#username').pressSequentially(username);
        await page.locator('#password').pressSequentially(failedLogin ? password : `not-${password}`);
        failedLogin = true;
        await page.locator('#login').click();
      } else if (shown.kind === 'consent') {
        consented = true;
        await page.locator(action === 'deny' ? '#deny' : '#allow').click();
      } else if (shown.kind === 'code' && (userCode || shown.value)) {
        // verification_uri_complete prefills the code; otherwise type it.
        if (userCode) {
          await page.locator('#user_code').fill('');
          await page.locator('#user_code').pressSequentially(userCode);
        }
        await page.locator('#continue').click();
      } else if (shown.kind === 'confirm') {
        await page.locator('#confirm').click();
      } else if (shown.kind !== 'self-submitting') {
        // An error page of the server, or the device flow's final page.
        return await outcome(response);
      }
    }
    throw new Error(`sign-in did not finish (at ${page.url()})`);
  } finally {
    // A browser closed under us already took its contexts with it; that is
    // not the sign-in's outcome, so it must not replace it.
    await context.close().catch((error) => { if (browser.isConnected()) throw error; });
  }
}

/**
 * @typedef {object} SignInOptions
 * @property {string} [username='demo']
 * @property {string} [password='demo']
 * @property {'allow' | 'deny' | 'wrong-password-then-allow'} [action='allow']
 * @property {number} [timeoutMs=60000]  the longest wait for any one page
 */

/**
 * Opens the authorization URL in a fresh browser context and signs in, like a
 * person would. Resolves with the final callback page as the app answered it
 * (or the server's page where the flow stopped, e.g. an error page).
 * @param {import('playwright-core').Browser} browser
 * @param {string} authorizationUrl
 * @param {SignInOptions} [options]
 * @returns {Promise<{ status: number, text: string, url: string }>}
 */
export function signInWithBrowser(browser, authorizationUrl, options = {}) {
  return drive(browser, authorizationUrl, options);
}

/**
 * The device authorization grant (RFC 8628) as the person on the other
 * device does it: open the verification URI, type the user code (skip it for
 * verification_uri_complete), confirm, sign in, consent. Resolves with the
 * server's final page ("Device sign-in complete" with id #done on success).
 * @param {import('playwright-core').Browser} browser
 * @param {string} verificationUri
 * @param {string} [userCode]
 * @param {SignInOptions} [options]
 */
export function approveDeviceWithBrowser(browser, verificationUri, userCode, options = {}) {
  return drive(browser, verificationUri, { ...options, userCode: userCode ?? '' });
}
