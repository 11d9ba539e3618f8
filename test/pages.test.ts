import { describe, expect, it } from 'vitest';
import { errorPage, escapeHtml, pageHeaders, rejectPage, successPage } from '../src/pages.js';
import type { Page } from '../src/pages.js';

const attack = `</p><script>alert("x")</script><img src=x onerror='alert(1)'>\`&amp;`;

/** Every page loopauth can show, with a hostile string in each dynamic slot. */
const pages: [string, Page][] = [
  ['successPage', successPage(attack)],
  ['errorPage (code)', errorPage(attack, 'message')],
  ['errorPage (message)', errorPage('access_denied', attack)],
  ['rejectPage', rejectPage(404, attack)],
];

describe('escapeHtml', () => {
  it('escapes <, >, &, both quotes and the backtick', () => {
    expect(escapeHtml(`<a href="x" title='y'>&\`</a>`)).toBe('&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#96;&#60;/a&#62;');
  });

  it('escapes an already escaped entity again, so it shows as typed', () => {
    expect(escapeHtml('&lt;')).toBe('&#38;lt;');
  });

  it('leaves plain and non-ASCII text alone', () => {
    expect(escapeHtml('Signed in to Ünïcode app ✓')).toBe('Signed in to Ünïcode app ✓');
  });
});

/** The markup of a page: its tags, with the text between them left out. */
const tagsOf = (html: string): string[] => html.match(/<[^>]*>/g) ?? [];
const allowedTags = /^<(!doctype html|html lang="en"|head|meta charset="utf-8"|meta name="viewport" content="width=device-width"|title|style|body|h1|p|code|\/(html|head|title|style|body|h1|p|code))>$/i;

describe.each(pages)('%s', (_name, page) => {
  it('shows hostile text as text: every tag is one of the page\'s own', () => {
    for (const tag of tagsOf(page.html)) expect(tag).toMatch(allowedTags);
    expect(page.html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
    expect(page.html).toContain('&#39;alert(1)&#39;');
    expect(page.html).toContain('&#96;&#38;amp;');
  });

  it('references nothing outside itself: no src, href, url() or @import', () => {
    const markup = tagsOf(page.html).join('');
    expect(markup).not.toMatch(/\b(src|href|action|srcset|poster|background|http-equiv)\s*=/i);
    const style = /<style>([^<]*)<\/style>/.exec(page.html)?.[1] ?? '';
    expect(style).not.toMatch(/url\(|@import|https?:|\/\//i);
  });

  it('is a complete UTF-8 HTML document', () => {
    expect(page.html).toMatch(/^<!doctype html>/i);
    expect(page.html).toContain('<meta charset="utf-8">');
    expect(page.html.trimEnd()).toMatch(/<\/html>$/);
  });
});

describe('every page', () => {
  it('names no web address of its own', () => {
    for (const page of [successPage('app'), errorPage('access_denied', 'denied'), rejectPage(404, 'Not found.')]) {
      expect(page.html).not.toMatch(/https?:|\/\/|www\./i);
    }
  });
});

describe('page status', () => {
  it('is 200 for success, 400 for a failed sign-in and the given status for a refused request', () => {
    expect(successPage('app').status).toBe(200);
    expect(errorPage('access_denied', 'denied').status).toBe(400);
    expect(rejectPage(421, 'Wrong host.').status).toBe(421);
  });

  it('says what happened: the app name on success, the error code on failure', () => {
    expect(successPage('Acme CLI').html).toContain('Acme CLI');
    expect(errorPage('access_denied', 'The user said no').html).toContain('access_denied');
    expect(errorPage('access_denied', 'The user said no').html).toContain('The user said no');
  });
});

describe('pageHeaders', () => {
  it('forbid scripts and every subresource except inline style', () => {
    const csp = pageHeaders['Content-Security-Policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src|'unsafe-eval'|\*|https?:/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'none'");
  });

  it('keep the callback URL out of Referer headers and caches', () => {
    expect(pageHeaders['Referrer-Policy']).toBe('no-referrer');
    expect(pageHeaders['Cache-Control']).toBe('no-store');
  });

  it('declare HTML in UTF-8 and forbid sniffing and framing', () => {
    expect(pageHeaders['Content-Type']).toBe('text/html; charset=utf-8');
    expect(pageHeaders['X-Content-Type-Options']).toBe('nosniff');
    expect(pageHeaders['X-Frame-Options']).toBe('DENY');
  });
});
