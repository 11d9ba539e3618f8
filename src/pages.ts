/**
 * The pages the browser tab shows. Self-contained (nothing loaded from
 * elsewhere), every dynamic value escaped, never a secret.
 */

/** An HTML page with the HTTP status it goes out with. */
export interface Page {
  readonly status: number;
  readonly html: string;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Headers that keep the page inert: no scripts, no subresources, no framing,
 * and no Referer carrying the callback's query elsewhere.
 */
export const pageHeaders: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

function render(status: number, title: string, body: string): Page {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#222}
h1{font-size:1.4em}code{background:#f3f3f3;padding:.1em .3em}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>
`;
  return { status, html };
}

/** The sign-in finished: tokens exchanged, checked and stored. */
export function successPage(appName: string): Page {
  return render(
    200,
    'Signed in',
    `<p>You are signed in to ${escapeHtml(appName)}. You can close this window and return to the application.</p>`,
  );
}

/** The flow ended with an error; `code` and `message` are shown escaped. */
export function errorPage(code: string, message: string): Page {
  return render(
    400,
    'Sign-in failed',
    `<p>The sign-in did not complete.</p><p><code>${escapeHtml(code)}</code>: ${escapeHtml(message)}</p>
<p>Return to the application for details.</p>`,
  );
}

/** A request to the listener that is not the callback this sign-in waits for. */
export function rejectPage(status: number, reason: string): Page {
  return render(status, 'Not a valid sign-in response', `<p>${escapeHtml(reason)}</p>`);
}
