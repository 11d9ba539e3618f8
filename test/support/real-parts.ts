/**
 * The real parts most end-to-end files sign in with: one oidc-provider on
 * loopback and one headless Chromium, started once for the file (or the
 * describe block it is called in) and closed after it.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startAuthServer } from '../helpers/auth-server.mjs';
import type { AuthServer } from '../helpers/auth-server.mjs';
import { launchChromium } from '../helpers/browser.mjs';
import { trustCaInProcess } from '../helpers/tls.mjs';

/** The server and the browser; set once beforeAll has run. */
export interface ServerAndBrowser {
  readonly server: AuthServer;
  readonly browser: Browser;
}

/** How {@link useServerAndBrowser} starts and stops them. */
export interface ServerAndBrowserOptions {
  /** startAuthServer's options. @default {} (plain http on 127.0.0.1) */
  readonly server?: Record<string, unknown>;
  /** Make this process's own fetch trust the server's throwaway CA (for an https server) until afterAll. @default false */
  readonly trustCa?: boolean;
  /** Awaited in afterAll before the browser and server close (sign-ins whose tabs are still being answered, say). */
  readonly beforeClose?: () => Promise<unknown>;
}

/**
 * Registers the beforeAll that starts the server and launches Chromium, and
 * the afterAll that closes both. Call at a file's (or describe's) top level.
 * @example
 * const real = useServerAndBrowser();
 * it('signs in', async () => { await signInWithBrowser(real.browser, url); });
 */
export function useServerAndBrowser(options: ServerAndBrowserOptions = {}): ServerAndBrowser {
  const parts: { server?: AuthServer; browser?: Browser } = {};
  let untrust: (() => void) | undefined;
  beforeAll(async () => {
    // Settled one by one, so that a browser that fails to launch does not leave the server running.
    const [server, browser] = await Promise.allSettled([startAuthServer(options.server), launchChromium()]);
    if (server.status === 'fulfilled') parts.server = server.value;
    if (browser.status === 'fulfilled') parts.browser = browser.value;
    for (const s of [server, browser]) if (s.status === 'rejected') throw s.reason;
    if (options.trustCa) untrust = await trustCaInProcess(parts.server!.ca!);
  });
  afterAll(async () => {
    untrust?.();
    try {
      await options.beforeClose?.();
    } finally {
      await Promise.all([parts.server?.close(), parts.browser?.close()]);
    }
  });
  return parts as ServerAndBrowser;
}
