#!/bin/sh
# Runs a command with a real, unlocked Secret Service (gnome-keyring) on a
# private D-Bus session, so that keychain tests use a real keychain and never
# the desktop's own. Without dbus-run-session or gnome-keyring, runs the
# command as it is (keychain tests then report keychain_unavailable).
set -e
if [ -n "$LOOPAUTH_IN_KEYRING" ] || ! command -v dbus-run-session >/dev/null 2>&1 || ! command -v gnome-keyring-daemon >/dev/null 2>&1; then
  exec "$@"
fi
export LOOPAUTH_IN_KEYRING=1
# A throwaway HOME for the keyring's files, so runs never touch a real login keyring.
KEYRING_HOME=$(mktemp -d)
export KEYRING_HOME
exec dbus-run-session -- sh -c '
  export XDG_DATA_HOME="$KEYRING_HOME/data" XDG_RUNTIME_DIR="$KEYRING_HOME/run"
  mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  status=0; "$@" || status=$?
  rm -rf "$KEYRING_HOME"; exit $status
' sh "$@"
