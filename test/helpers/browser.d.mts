import type { Browser } from 'playwright-core';
export const CHROMIUM_ARGS: string[];
export function launchChromium(options?: { executablePath?: string }): Promise<Browser>;
export interface SignInResult {
  status: number;
  text: string;
  url: string;
}
export function signInWithBrowser(
  browser: Browser,
  url: string,
  options?: { username?: string; password?: string; action?: 'allow' | 'deny' | 'wrong-password-then-allow'; timeoutMs?: number },
): Promise<SignInResult>;
export function approveDeviceWithBrowser(browser: Browser, verificationUri: string, userCode?: string, options?: Record<string, unknown>): Promise<SignInResult>;
