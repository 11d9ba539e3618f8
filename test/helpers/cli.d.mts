import type { ChildProcess } from 'node:child_process';
export const REPO_ROOT: string;
export const CLI_PATH: string;
export function childEnv(env?: Record<string, string | undefined>): Record<string, string>;
export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
  onStderrLine?: (line: string) => void;
  cwd?: string;
}
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}
export interface RunningCli {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  lines: string[];
  waitForStderrLine(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  waitForAuthorizationUrl(endpoint?: string, ms?: number): Promise<string>;
  waitForExit(): Promise<CliResult>;
  kill(signal?: NodeJS.Signals): void;
}
export function startCli(args: string[], options?: CliOptions): RunningCli;
export function runCli(args: string[], options?: CliOptions): Promise<CliResult>;
export interface StartedLogin {
  cli: RunningCli;
  url: string;
  redirect: URL;
  port: number;
  state: string;
}
export function startLogin(issuer: string, args?: string[], options?: CliOptions): Promise<StartedLogin>;
export function tempConfigDir(): Promise<string>;
export function removeTempConfigDirs(): Promise<void>;
