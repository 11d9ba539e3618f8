/**
 * Secrets hygiene checks. The test server's request log redacts codes and
 * verifiers, so the code is read from the callback URL the browser reached,
 * and the verifier is recognised by its S256 challenge in the authorization
 * URL: any word whose SHA-256 is the challenge is the verifier.
 */
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { expect } from 'vitest';

/** The per-sign-in values that must never be printed, logged or thrown. */
export interface SignInSecrets {
  /** The authorization code, from the callback URL (undefined before the browser came back). */
  readonly code: string | undefined;
  /** The PKCE code_challenge; the verifier is whatever hashes to it. */
  readonly challenge: string;
}

/** Reads the secrets of one sign-in from its authorization URL and the callback URL the browser reached. */
export function signInSecrets(authorizationUrl: string, callbackUrl?: string): SignInSecrets {
  const challenge = new URL(authorizationUrl).searchParams.get('code_challenge');
  if (!challenge) throw new Error('the authorization URL has no code_challenge');
  const code = callbackUrl ? (new URL(callbackUrl).searchParams.get('code') ?? undefined) : undefined;
  return { code, challenge };
}

/**
 * Every stretch of the verifier's alphabet that could be a verifier (RFC 7636
 * §4.1: 43 to 128 characters): each run whole, and each 43-character window of
 * it (oauth4webapi's verifiers are 43 long), so that one glued to its
 * neighbours (`x-<verifier>.`) is found too.
 */
function verifierCandidates(text: string): string[] {
  const out: string[] = [];
  for (const run of text.match(/[A-Za-z0-9\-._~]{43,}/g) ?? []) {
    if (run.length <= 128) out.push(run);
    for (let i = 0; i + 43 <= run.length; i++) out.push(run.slice(i, i + 43));
  }
  return out;
}

/**
 * Fails if `text` holds `secret`, the failure naming it by `what` alone:
 * `expect(text).not.toContain(secret)` would print the secret, and the text
 * around it, in the test's output.
 */
export function expectNotIn(text: string, secret: string, what: string): void {
  expect(typeof secret === 'string' && secret.length > 0, `${what} is no value to look for`).toBe(true); // '' or a missing one would pass unseen
  expect(text.includes(secret), `${what} leaked`).toBe(false);
}

/** Fails if `text` holds the code or the verifier (the failure names which, never the value). */
export function expectNoSecrets(text: string, secrets: SignInSecrets): void {
  if (secrets.code) expectNotIn(text, secrets.code, 'the authorization code');
  const leaked = verifierCandidates(text).some((w) => createHash('sha256').update(w).digest('base64url') === secrets.challenge);
  expect(leaked, 'the PKCE verifier leaked').toBe(false);
}

/** An error as deeply as anything could print it: message, stack, every cause, every own property. */
export function everythingIn(error: unknown): string {
  const parts: string[] = [inspect(error, { depth: Infinity, showHidden: true })];
  for (let e: unknown = error, i = 0; e && i < 10; e = (e as { cause?: unknown }).cause, i++) {
    try {
      parts.push(JSON.stringify(e, Object.getOwnPropertyNames(e)));
    } catch {
      parts.push(inspect(e));
    }
  }
  return parts.join('\n');
}
