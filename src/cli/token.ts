/**
 * `loopauth token`: the access token on stdout and nothing else. This file is
 * on the hot path (shell prompts, credential helpers, kubectl): it parses
 * its few flags itself and loads no yargs and no protocol code on a cache hit.
 */
import type { Argv } from 'yargs';
import { getAccessToken } from '../tokens.js';
import type { AccessToken } from '../tokens.js';
import { LoopauthError } from '../errors.js';
import { interruptSignal } from './signals.js';
import { debugSink, reportError, result, resultJson, usageError } from './output.js';

/** Flags of `loopauth token`. */
export interface TokenArgs {
  readonly profile?: string;
  readonly minTtl?: number;
  readonly format: 'plain' | 'json' | 'header' | 'id-token' | 'exec-credential';
  readonly verbose?: boolean;
}

/**
 * Parses `token`'s flags without yargs; `undefined` for anything unusual
 * (help, unknown flags), which then goes through yargs for its messages.
 */
export function parseTokenArgs(args: readonly string[]): TokenArgs | undefined {
  let profile: string | undefined;
  let minTtl: number | undefined;
  let verbose = false;
  const formats: TokenArgs['format'][] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? args[++i];
    if (flag === '--profile') profile = value();
    else if (flag === '--min-ttl') {
      const v = value();
      if (v === undefined || !/^\d+$/.test(v)) return undefined;
      minTtl = Number(v);
    } else if (flag === '--json') formats.push('json');
    else if (flag === '--header') formats.push('header');
    else if (flag === '--id-token') formats.push('id-token');
    else if (flag === '--exec-credential') formats.push('exec-credential');
    else if (flag === '--verbose') verbose = true;
    else return undefined;
    if (inline !== undefined && !['--profile', '--min-ttl'].includes(flag)) return undefined;
  }
  if (formats.length > 1 || profile === undefined && args.includes('--profile')) return undefined;
  return { ...(profile !== undefined ? { profile } : {}), ...(minTtl !== undefined ? { minTtl } : {}), format: formats[0] ?? 'plain', verbose };
}

/** Runs `token`; returns the exit status. */
export async function runToken(args: TokenArgs, signal?: AbortSignal): Promise<number> {
  const json = args.format === 'json';
  try {
    const debug = debugSink(args.verbose);
    const base = { ...(args.profile !== undefined ? { profile: args.profile } : {}), minTtl: args.minTtl ?? 60, ...(signal ? { signal } : {}), ...(debug ? { debug } : {}) };
    let token = await getAccessToken(base);
    if (args.format === 'id-token' || args.format === 'exec-credential') token = await freshIdToken(token, base);
    print(token, args.format);
    return 0;
  } catch (e) {
    return reportError(e, json);
  }
}

/** The ID token must be valid for min-ttl too; one forced refresh renews it when the server sends a new one. */
async function freshIdToken(token: AccessToken, base: Parameters<typeof getAccessToken>[0] & { minTtl: number }): Promise<AccessToken> {
  const left = token.idTokenExpiresAt ? (token.idTokenExpiresAt.getTime() - Date.now()) / 1000 : Infinity;
  const renewed = left > base.minTtl ? token : await getAccessToken({ ...base, forceRefresh: true });
  if (!renewed.idToken) throw new LoopauthError('no_id_token', 'the server did not issue an ID token for this profile (ask for the openid scope)');
  return renewed;
}

function print(token: AccessToken, format: TokenArgs['format']): void {
  switch (format) {
    case 'plain':
      return result(token.accessToken);
    case 'header':
      return result(`Authorization: ${token.tokenType} ${token.accessToken}`);
    case 'id-token':
      return result(token.idToken!);
    case 'json':
      return resultJson({
        access_token: token.accessToken,
        token_type: token.tokenType,
        expires_at: token.expiresAt?.toISOString() ?? null,
        expires_in: token.expiresAt ? Math.max(0, Math.floor((token.expiresAt.getTime() - Date.now()) / 1000)) : null,
        scopes: token.scopes,
        profile: token.profile,
      });
    case 'exec-credential':
      return resultJson({
        apiVersion: 'client.authentication.k8s.io/v1',
        kind: 'ExecCredential',
        status: {
          token: token.idToken,
          ...(token.idTokenExpiresAt ? { expirationTimestamp: token.idTokenExpiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
        },
      });
  }
}

/** The yargs command (help, and the errors the fast parser leaves to yargs). */
export const tokenCommand = {
  command: 'token',
  describe: 'Print a valid access token (refreshing it if needed)',
  builder: (y: Argv) =>
    y
      .option('profile', { type: 'string', describe: 'Profile name', default: 'default', requiresArg: true })
      .option('min-ttl', { type: 'number', requiresArg: true, describe: 'Seconds the token must still be valid for', default: 60 })
      .option('json', { type: 'boolean', describe: 'Print a JSON object (token, type, expiry, scopes, profile)' })
      .option('header', { type: 'boolean', describe: 'Print "Authorization: Bearer <token>"' })
      .option('id-token', { type: 'boolean', describe: 'Print the ID token instead' })
      .option('exec-credential', { type: 'boolean', describe: 'Print a kubectl ExecCredential with the ID token' })
      .conflicts({ json: ['header', 'id-token', 'exec-credential'], header: ['id-token', 'exec-credential'], 'id-token': 'exec-credential' }),
  handler: async (argv: { profile?: string; minTtl?: number; json?: boolean; header?: boolean; idToken?: boolean; execCredential?: boolean; verbose?: boolean }) => {
    if (argv.minTtl !== undefined && (!Number.isFinite(argv.minTtl) || argv.minTtl < 0)) throw usageError('--min-ttl must be a number of seconds >= 0');
    const format = argv.json ? 'json' : argv.header ? 'header' : argv.idToken ? 'id-token' : argv.execCredential ? 'exec-credential' : 'plain';
    process.exitCode = await runToken(
      { ...(argv.profile !== undefined ? { profile: argv.profile } : {}), ...(argv.minTtl !== undefined ? { minTtl: argv.minTtl } : {}), format, ...(argv.verbose ? { verbose: true } : {}) },
      interruptSignal(),
    );
  },
};
