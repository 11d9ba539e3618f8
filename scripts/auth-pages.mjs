// The pages of the test authorization server that a person sees: sign-in,
// consent, device-code entry and errors. Plain HTML forms with stable ids
// (#username, #password, #login, #allow, #deny, #user_code, #continue,
// #confirm, #abort) so that a headless browser can drive them like a person,
// and nothing loaded from elsewhere (the sandbox reaches only loopback, and
// oidc-provider's own pages pull in Google Fonts).

/** @param {unknown} value */
export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * @param {string} title
 * @param {string} body  trusted HTML
 */
export function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}
input,button{display:block;width:100%;box-sizing:border-box;margin:.4rem 0;padding:.5rem;font-size:1rem}
.error{color:#b00020}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

/**
 * Provider configuration pieces that replace oidc-provider's default pages
 * (which also print "you SHOULD change it" notices when used).
 * @returns {object} to spread into the provider configuration
 */
export function providerPages() {
  /** @param {any} ctx @param {string} title @param {string} body */
  const render = (ctx, title, body) => {
    ctx.type = 'html';
    ctx.body = page(title, body);
  };
  return {
    renderError(ctx, out) {
      const rows = Object.entries(out)
        .map(([key, value]) => `<p id="${escapeHtml(key)}"><b>${escapeHtml(key)}</b>: ${escapeHtml(value)}</p>`);
      render(ctx, 'Sign-in error', rows.join('\n'));
    },
    deviceFlow: {
      userCodeInputSource(ctx, form, out, err) {
        const msg = err ? '<p class="error">That code did not work. Try again.</p>' : '<p>Enter the code shown on your device.</p>';
        // The provider's form has the user_code input; give it a stable id.
        const withId = form.replace('name="user_code"', 'id="user_code" name="user_code"');
        render(ctx, 'Device sign-in', `${msg}${withId}<button id="continue" type="submit" form="op.deviceInputForm">Continue</button>`);
      },
      userCodeConfirmSource(ctx, form, client, deviceInfo, userCode) {
        render(ctx, 'Confirm device', `<p>Client <b>${escapeHtml(client.clientId)}</b> asks to sign in. Code: <code id="code">${escapeHtml(userCode)}</code></p>
${form}<button id="confirm" type="submit" form="op.deviceConfirmForm">Continue</button>
<button id="abort" type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>`);
      },
      successSource(ctx) {
        render(ctx, 'Device sign-in complete', '<p id="done">You can return to your device.</p>');
      },
    },
    rpInitiatedLogout: {
      logoutSource(ctx, form) {
        render(ctx, 'Sign out?', `${form}<button id="logout" type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`);
      },
      postLogoutSuccessSource(ctx) {
        render(ctx, 'Signed out', '<p>You are signed out.</p>');
      },
    },
  };
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {string} html
 */
function send(res, status, html) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:",
  });
  res.end(html);
}

/** @param {string} uid @param {string} [error] */
function loginPage(uid, error) {
  return page('Sign in', `${error ? `<p class="error" id="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label for="username">Username</label><input id="username" name="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button id="login" type="submit">Sign in</button>
</form>`);
}

/** @param {string} uid @param {any} details */
function consentPage(uid, details) {
  const scopes = details.params.scope ?? '';
  const resource = details.params.resource ? ` for ${escapeHtml([details.params.resource].flat().join(', '))}` : '';
  return page('Allow access?', `<p><b>${escapeHtml(details.params.client_id)}</b> asks for
<span id="scopes">${escapeHtml(scopes)}</span>${resource}.</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/confirm"><button id="allow" type="submit">Allow</button></form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button id="deny" type="submit">Deny</button></form>`);
}

/**
 * Grants everything the pending request asks for (scopes, claims, resource
 * scopes) and finishes the consent prompt.
 */
async function grantAll(provider, req, res, details) {
  const { prompt, params, session } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: details.grantId ? {} : { grantId } }, { mergeWithLastSubmission: true });
}

/**
 * Handles /interaction/:uid[/login|/confirm|/abort] (outside Koa, with the
 * raw request, as oidc-provider's interaction API expects). Returns false
 * when the path is not an interaction route.
 * @param {object} opts
 * @param {any} opts.provider
 * @param {{ username: string, password: string, sub: string }} opts.user
 * @param {boolean} opts.autoConsent
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {URLSearchParams} form  the posted form, already read by the caller (for its request log)
 */
export async function handleInteraction({ provider, user, autoConsent }, req, res, form) {
  const match = /^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/.exec(new URL(req.url, 'http://x').pathname);
  if (!match) return false;
  const [, uid, action] = match;
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    const prompt = details.prompt.name;
    if (req.method === 'GET' && !action) {
      if (prompt === 'login') return send(res, 200, loginPage(uid)), true;
      if (prompt === 'consent' && autoConsent) return await grantAll(provider, req, res, details), true;
      if (prompt === 'consent') return send(res, 200, consentPage(uid, details)), true;
      throw new Error(`unexpected prompt ${prompt}`);
    }
    if (req.method !== 'POST' || !action) return send(res, 405, page('Not allowed', '')), true;
    if (action === 'login' && prompt === 'login') {
      if (form.get('username') !== user.username || form.get('password') !== user.password) {
        return send(res, 200, loginPage(uid, 'Wrong username or password.')), true;
      }
      await provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
    } else if (action === 'confirm' && prompt === 'consent') {
      await grantAll(provider, req, res, details);
    } else if (action === 'abort') {
      await provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: 'The user denied the request.',
      }, { mergeWithLastSubmission: false });
    } else {
      throw new Error(`${action} does not answer the ${prompt} prompt`);
    }
  } catch (error) {
    // Expired interaction, missing cookie (another browser), double submit…
    if (!res.headersSent) send(res, 400, page('Sign-in error', `<p class="error" id="error">${escapeHtml(error.message)}</p>`));
  }
  return true;
}
