/**
 * The final redirect URL pasted by a person whose browser is on another
 * machine. Checked exactly as a callback to the listener is (redirect URI
 * and state; never a bare code, which carries no state).
 */
import readline from 'node:readline';
import { checkCallbackUrl } from './listener.js';

/** A running paste reader. */
export interface PasteReader {
  /** Resolves with the first valid pasted URL; never rejects. */
  readonly url: Promise<URL>;
  /** Stops reading. */
  stop(): void;
}

/** Reads lines from `input` until one is this sign-in's redirect URL. */
export function readPastedCallback(input: NodeJS.ReadableStream, redirectUri: string, state: string, warn: (line: string) => void): PasteReader {
  const rl = readline.createInterface({ input, terminal: false, crlfDelay: Infinity });
  const expected = new URL(redirectUri);
  const url = new Promise<URL>((resolve) => {
    rl.on('line', (line) => {
      const text = line.trim();
      if (text === '') return;
      let candidate: URL;
      try {
        candidate = new URL(text);
      } catch {
        return warn('That is not a URL. Paste the whole address your browser ended on (it starts with the redirect URI).');
      }
      const verdict = checkCallbackUrl(candidate, expected, state);
      if (verdict === 'ok') resolve(candidate);
      else if (verdict === 'wrong_target') warn(`That URL is not this sign-in's redirect URI (${expected.origin}${expected.pathname}).`);
      else if (verdict === 'ambiguous') warn('That URL is not one complete authorization response (a parameter is missing or repeated).');
      else warn('That URL does not belong to the sign-in in progress (its state does not match).');
    });
  });
  return {
    url,
    stop: () => {
      rl.close();
      if (typeof (input as NodeJS.ReadStream).unref === 'function') (input as NodeJS.ReadStream).unref();
    },
  };
}
