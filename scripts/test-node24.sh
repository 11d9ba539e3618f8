#!/bin/sh
# The unit and end-to-end tests again on Node 24 (from the npm registry),
# inside the same private keyring. keytar's native module is built for the
# machine's Node only, so the keychain-backed tests report it unavailable
# there and are skipped by name.
set -e
cd "$(dirname "$0")/.."
export LOOPAUTH_TEST_NODE24=1
exec scripts/with-keyring.sh npx -y node@24 node_modules/vitest/vitest.mjs run --exclude 'test/hostile/**' --exclude 'test/fuzz/**' "$@"
