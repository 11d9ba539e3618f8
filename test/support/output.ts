/**
 * Reading what the CLI printed: its last stderr line (where a failing
 * command says `loopauth: <code>: <message>`) and the characters that must
 * never reach a terminal.
 */

/** The last non-empty line of `text`. */
export const lastLine = (text: string): string => text.trim().split('\n').pop() ?? '';

/** The error code a failing command's last stderr line names, or undefined. */
export const errorCodeOf = (stderr: string): string | undefined => /^loopauth: ([^:]+):/.exec(lastLine(stderr))?.[1];

/** C0 and C1 control characters other than tab and newline: what a terminal would act on (escape sequences, CR, BEL). */
// eslint-disable-next-line no-control-regex
export const terminalControls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
