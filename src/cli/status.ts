/** `loopauth status`: what is signed in, and whether it still works. Never a token. */
import type { Argv } from 'yargs';
import type { OptionTable } from './fast-args.js';
import { getStatus } from '../status.js';
import { listProfiles } from '../status.js';
import { LoopauthError, sanitizeText } from '../errors.js';
import { interruptSignal } from './signals.js';
import { exitCodes, result, resultJson, say, sessionJson, untilText } from './output.js';

async function handler(argv: { profile: string; json?: boolean }): Promise<void> {
  let status;
  try {
    status = await getStatus({ profile: argv.profile, signal: interruptSignal() });
  } catch (e) {
    if (e instanceof LoopauthError && e.code === 'login_required') {
      const others = (await listProfiles().catch(() => [])).filter((p) => p !== argv.profile);
      if (others.length) throw new LoopauthError('login_required', `${e.message} (profiles here: ${others.join(', ')}; pick one with --profile)`);
    }
    throw e;
  }
  const needsLogin = status.state === 'login_required';
  const failure = { code: 'login_required', message: `profile ${status.profile}: ${status.reason}` };
  if (argv.json) {
    // One object: the status, and (as every failing command's JSON has) the error.
    resultJson({ ...sessionJson(status), state: status.state, reason: status.reason, ...(needsLogin ? { error: failure } : {}) });
  } else {
    const rows: [string, string][] = [
      ['profile', status.profile],
      ['issuer', status.issuer],
      ['client id', status.clientId],
      ['subject', status.subject ?? '(unknown)'],
      ['scopes', status.scopes.join(' ')],
      ...(status.resource ? ([['resource', status.resource.join(' ')]] as [string, string][]) : []),
      ['expires', untilText(status.expiresAt)],
      ['store', status.store],
      ['state', `${status.state.replace('_', ' ')}: ${status.reason}`],
    ];
    // Subject, scopes and issuer came from the server: no control characters reach the terminal.
    result(rows.map(([k, v]) => `${`${k}:`.padEnd(11)}${sanitizeText(v, 2000)}`).join('\n'));
  }
  if (needsLogin) {
    // A failing command ends stderr with `loopauth: <code>: <message>`, status too.
    say(`loopauth: ${failure.code}: ${failure.message}`);
    process.exitCode = exitCodes.noSession;
  }
}

/** status's flags (yargs' option table; also read by the fast parser). */
export const statusOptions = {
  profile: { type: 'string', default: 'default', requiresArg: true, describe: 'Profile name' },
  json: { type: 'boolean', describe: 'Print JSON' },
} satisfies OptionTable;

/** The yargs command. */
export const statusCommand = {
  command: 'status',
  describe: 'Show the signed-in session of a profile (never a token)',
  options: statusOptions,
  builder: (y: Argv) => y.options(statusOptions),
  handler,
};
