/** `loopauth status`: what is signed in, and whether it still works. Never a token. */
import type { Argv } from 'yargs';
import { getStatus } from '../status.js';
import { listProfiles } from '../status.js';
import { LoopauthError, sanitizeText } from '../errors.js';
import { exitCodes, result, resultJson, sessionJson, untilText } from './output.js';

async function handler(argv: { profile: string; json?: boolean }): Promise<void> {
  let status;
  try {
    status = await getStatus({ profile: argv.profile });
  } catch (e) {
    if (e instanceof LoopauthError && e.code === 'login_required') {
      const others = (await listProfiles().catch(() => [])).filter((p) => p !== argv.profile);
      if (others.length) throw new LoopauthError('login_required', `${e.message} (profiles here: ${others.join(', ')}; pick one with --profile)`);
    }
    throw e;
  }
  if (argv.json) {
    resultJson({ ...sessionJson(status), state: status.state, reason: status.reason });
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
  if (status.state === 'login_required') process.exitCode = exitCodes.noSession;
}

/** The yargs command. */
export const statusCommand = {
  command: 'status',
  describe: 'Show the signed-in session of a profile (never a token)',
  builder: (y: Argv) =>
    y.option('profile', { type: 'string', default: 'default', describe: 'Profile name' }).option('json', { type: 'boolean', describe: 'Print JSON' }),
  handler,
};
