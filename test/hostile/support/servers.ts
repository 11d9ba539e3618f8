/**
 * The hostile servers of one test file: started on demand, closed after each
 * test, and the file's temporary config folders removed at the end.
 */
import { afterAll, afterEach } from 'vitest';
import { removeTempConfigDirs } from '../../helpers/cli.mjs';
import { startHostileServer } from './server.js';
import type { HostileOptions, HostileServer } from './server.js';

/** Call once at a file's top level. */
export function hostileServers(): {
  /** Starts a hostile server that is closed after the test. */
  hostile: (options?: HostileOptions) => Promise<HostileServer>;
  /** Closes anything else (a real oidc-provider, say) after the test. */
  closeAfterEach: (closable: { close(): Promise<unknown> }) => void;
} {
  const open: { close(): Promise<unknown> }[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  afterAll(removeTempConfigDirs);
  return {
    hostile: async (options = {}) => {
      const s = await startHostileServer(options);
      open.push(s);
      return s;
    },
    closeAfterEach: (closable) => void open.push(closable),
  };
}
