#!/usr/bin/env node
// A recording "browser" for BROWSER: `node server.browser.mjs RECORD URL`.
// Appends its argv (as loopauth started it) to RECORD, then plays the person's
// browser: follows the redirects of URL (the hostile server sends it straight
// back to the loopback listener) and appends the page it ends on.
import { appendFileSync } from 'node:fs';

const [record, ...rest] = process.argv.slice(2);
appendFileSync(record, `${JSON.stringify({ argv: process.argv.slice(1) })}\n`);
let url = rest.at(-1);
let page = { status: 0, body: '' };
try {
  for (let hop = 0; hop < 5 && url; hop++) {
    const r = await fetch(url, { redirect: 'manual' });
    page = { status: r.status, body: await r.text() };
    url = r.status >= 300 && r.status < 400 ? new URL(r.headers.get('location') ?? '', url).href : undefined;
  }
} catch (e) {
  page = { status: -1, body: String(e) };
}
appendFileSync(record, `${JSON.stringify({ page })}\n`);
