/**
 * Where loopauth keeps non-secret data: `$XDG_CONFIG_HOME/<app>/`, else
 * `~/.config/<app>/` on Linux and macOS, `%APPDATA%\<app>\` on Windows.
 *
 * Not env-paths: it puts macOS config under ~/Library/Preferences and adds a
 * "-nodejs" suffix, while CLI users (and our contract) expect ~/.config.
 */
import os from 'node:os';
import path from 'node:path';

/** The config folder of an app built on loopauth. */
export function configRoot(appName: string, env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, appName);
  if (process.platform === 'win32' && env.APPDATA) return path.join(env.APPDATA, appName);
  // os.homedir() falls back to the password database when HOME is unset.
  return path.join(os.homedir(), '.config', appName);
}

/** Checks an app name: it becomes a folder name and a keychain service. */
export function checkAppName(appName: unknown): string {
  if (typeof appName !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(appName)) {
    throw new TypeError('appName must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  return appName;
}

/** Checks a profile name: it becomes a file name and a keychain account. */
export function checkProfileName(profile: unknown): string {
  if (typeof profile !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(profile)) {
    throw new TypeError('profile must be 1-64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit');
  }
  return profile;
}
