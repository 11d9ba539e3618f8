/** Whether this process may read the terminal. */
import { readFileSync } from 'node:fs';

/**
 * True when the process is in the terminal's foreground process group (on
 * Linux, from /proc; elsewhere assumed). A background job that read stdin
 * would be stopped by SIGTTIN, or would steal the shell's input.
 */
export function isForeground(): boolean {
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    const tpgid = Number(fields[5]);
    return tpgid > 0 && pgrp === tpgid;
  } catch {
    return true;
  }
}
