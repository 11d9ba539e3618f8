/** `loopauth logout`: revoke at the server, delete local secrets, say which happened. */
import type { Argv } from 'yargs';
import type { OptionTable } from './fast-args.js';
import { LoopauthError } from '../errors.js';
import { logout } from '../revoke.js';
import { debugSink, resultJson, say } from './output.js';
import { interruptSignal } from './signals.js';

async function handler(argv: { profile: string; revoke: boolean; json?: boolean; verbose?: boolean }): Promise<void> {
  const debug = debugSink(argv.verbose);
  const r = await logout({ profile: argv.profile, revoke: argv.revoke, signal: interruptSignal(), ...(debug ? { debug } : {}) });
  const what = r.revokedToken === 'access_token' ? 'access token (the session had no refresh token)' : 'refresh token';
  const revocationText = {
    revoked: `The server revoked the ${what}.`,
    not_supported: 'The server has no revocation endpoint; the refresh token was not revoked there.',
    skipped: argv.revoke ? 'There was no token to revoke.' : 'Revocation skipped (--no-revoke).',
    failed: `The server did not revoke the ${what}.`,
  }[r.revocation];
  say(revocationText);
  say(`Deleted the local secrets of profile ${r.profile}.`);
  if (r.revocation === 'failed') {
    const cause = r.revocationError;
    throw new LoopauthError(cause?.code === 'network_error' || !cause ? 'revocation_failed' : cause.code, `local secrets deleted, but revocation failed: ${cause?.message ?? 'unknown error'}`);
  }
  if (argv.json) resultJson({ profile: r.profile, revocation: r.revocation, deleted: r.deleted });
}

/** logout's flags (yargs' option table; also read by the fast parser). */
export const logoutOptions = {
  profile: { type: 'string', default: 'default', requiresArg: true, describe: 'Profile name' },
  revoke: { type: 'boolean', default: true, describe: 'Revoke at the server first (--no-revoke: only delete locally)' },
  json: { type: 'boolean', describe: 'Print JSON' },
} satisfies OptionTable;

/** The yargs command. */
export const logoutCommand = {
  command: 'logout',
  describe: "Revoke the session at the server and delete the profile's secrets",
  options: logoutOptions,
  builder: (y: Argv) => y.options(logoutOptions),
  handler,
};
