/** `loopauth login`: flags in, login() called, progress on stderr. */
import type { Argv } from 'yargs';
import type { OptionTable } from './fast-args.js';
import { login } from '../flow.js';
import type { LoginOptions } from '../options.js';
import { configRoot } from '../paths.js';
import { debugSink, resultJson, sessionJson, say, untilText, usageError } from './output.js';
import { interruptSignal } from './signals.js';
import { isForeground } from './tty.js';

interface LoginArgs {
  issuer?: string;
  resourceUrl?: string;
  clientId?: string;
  clientSecret?: string;
  scope?: string;
  resource?: string[];
  param?: string[];
  port?: number;
  redirectHost?: string;
  flow: 'auto' | 'browser' | 'device';
  paste?: boolean;
  browser: boolean;
  timeout: number;
  profile: string;
  store?: 'keychain' | 'file';
  insecureStorage?: boolean;
  json?: boolean;
  verbose?: boolean;
}

function parseParams(params: string[] | undefined): Record<string, string> | undefined {
  if (!params?.length) return undefined;
  const out: Record<string, string> = {};
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw usageError(`--param takes KEY=VALUE, not ${JSON.stringify(p)}`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

function checkUrlFlag(flag: string, value: string | undefined): void {
  if (value === undefined) return;
  try {
    const u = new URL(value);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
  } catch {
    throw usageError(`${flag} must be an http(s) URL, not ${JSON.stringify(value.slice(0, 100))}`);
  }
}

/** RFC 8707 §2: an absolute URI (not only http(s): `urn:`, `api://`), without a fragment. */
function checkResourceFlag(value: string): void {
  let ok = false;
  try {
    ok = new URL(value).hash === '' && !value.includes('#');
  } catch {
    ok = false;
  }
  if (!ok) throw usageError(`--resource must be an absolute URI without a fragment, not ${JSON.stringify(value.slice(0, 100))}`);
}

async function handler(argv: LoginArgs): Promise<void> {
  checkUrlFlag('--issuer', argv.issuer);
  checkUrlFlag('--resource-url', argv.resourceUrl);
  for (const r of argv.resource ?? []) checkResourceFlag(r);
  if (argv.port !== undefined && (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535)) throw usageError('--port must be a port number from 0 to 65535');
  if (!Number.isFinite(argv.timeout) || argv.timeout <= 0) throw usageError('--timeout must be a positive number of seconds');
  const store = argv.insecureStorage ? 'file' : argv.store;
  if (argv.insecureStorage && argv.store === 'keychain') throw usageError('--insecure-storage and --store keychain contradict each other');
  if (store === 'file') say(`Secrets will be kept in a plain file (mode 0600) under ${configRoot('loopauth')}/secrets, not in the OS keychain.`);
  const clientSecret = argv.clientSecret ?? process.env.LOOPAUTH_CLIENT_SECRET;
  const interactive = process.stdin.isTTY && process.stderr.isTTY && isForeground();
  const paste = argv.paste === true || (argv.paste !== false && interactive);
  const debug = debugSink(argv.verbose);
  const extraParams = parseParams(argv.param);
  const options: LoginOptions = {
    profile: argv.profile,
    ...(argv.issuer ? { issuer: argv.issuer } : {}),
    ...(argv.resourceUrl ? { resourceUrl: argv.resourceUrl } : {}),
    ...(argv.clientId ? { clientId: argv.clientId } : {}),
    ...(clientSecret ? { clientSecret } : {}),
    ...(argv.scope !== undefined ? { scopes: argv.scope } : {}), // --scope "" is refused, not the default
    ...(argv.resource?.length ? { resource: argv.resource } : {}),
    ...(extraParams ? { extraParams } : {}),
    ...(argv.port !== undefined ? { port: argv.port } : {}),
    ...(argv.redirectHost ? { redirectHost: argv.redirectHost as LoginOptions['redirectHost'] } : {}),
    ...(store ? { store } : {}),
    ...(argv.browser ? {} : { openBrowser: false as const }),
    ...(paste ? { pasteInput: process.stdin } : {}),
    ...(debug ? { debug } : {}),
    flow: argv.flow,
    timeout: argv.timeout,
    signal: interruptSignal(),
    onWarning: (message) => say(message),
    onAuthorizationUrl: (url) => {
      say(argv.browser ? 'Opening your browser to sign in. If it does not open, visit this URL:' : 'To sign in, open this URL in a browser:');
      say(url);
      if (paste) say('If the browser is on another machine, paste the address it ends on (starting with http://127.0.0.1 or similar) here and press Enter.');
      say('Waiting for the sign-in to complete...');
    },
    onUserCode: ({ verificationUri, verificationUriComplete, userCode }) => {
      say('To sign in, open this URL on any device:');
      say(verificationUri);
      say(`and enter the code: ${userCode}`);
      if (verificationUriComplete) say(`(or open ${verificationUriComplete})`);
      say('Waiting for the sign-in to complete...');
    },
  };
  const session = await login(options);
  if (argv.json) {
    resultJson(sessionJson(session));
  }
  say(`Signed in${session.subject ? ` as ${session.subject}` : ''} to ${session.issuer} (profile ${session.profile}; secrets in the ${session.store} store; access token expires ${untilText(session.expiresAt)}).`);
}

/** login's flags (yargs' option table; also read by the fast parser). */
export const loginOptions = {
  issuer: { type: 'string', describe: "Authorization server's issuer URL" },
  'resource-url': { type: 'string', describe: "A protected resource's URL (RFC 9728): its metadata names the server" },
  'client-id': { type: 'string', requiresArg: true, describe: 'Client id registered with the server' },
  'client-secret': { type: 'string', describe: 'Client secret (visible in ps and shell history: prefer LOOPAUTH_CLIENT_SECRET)' },
  scope: { type: 'string', describe: 'Space-separated scopes', defaultDescription: '"openid offline_access"' },
  resource: { type: 'string', array: true, describe: 'Resource indicator (RFC 8707), repeatable' },
  param: { type: 'string', array: true, describe: 'Extra authorization parameter KEY=VALUE, repeatable' },
  port: { type: 'number', requiresArg: true, describe: 'Fixed port for the redirect URI', defaultDescription: 'ephemeral' },
  'redirect-host': { type: 'string', choices: ['127.0.0.1', '[::1]', 'localhost'], describe: 'Host of the redirect URI', default: '127.0.0.1' },
  flow: { choices: ['auto', 'browser', 'device'] as const, default: 'auto' as const, describe: 'browser, device grant, or auto (device only with no desktop)' },
  paste: { type: 'boolean', describe: 'Also accept the final redirect URL pasted on stdin' },
  browser: { type: 'boolean', default: true, describe: 'Open a browser (--no-browser: only print the URL)' },
  timeout: { type: 'number', requiresArg: true, default: 300, describe: 'Seconds before giving up' },
  profile: { type: 'string', default: 'default', requiresArg: true, describe: 'Profile name' },
  store: { choices: ['keychain', 'file'] as const, describe: 'Where secrets live', defaultDescription: 'keychain' },
  'insecure-storage': { type: 'boolean', describe: 'Same as --store file' },
  json: { type: 'boolean', describe: 'Print the session as JSON on stdout' },
} satisfies OptionTable;

/** The yargs command. */
export const loginCommand = {
  command: 'login',
  describe: 'Sign in through the browser and save the session',
  options: loginOptions,
  builder: (y: Argv) => y.options(loginOptions),
  handler,
};
