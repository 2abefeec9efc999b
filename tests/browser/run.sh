#!/usr/bin/env bash
# Runs the playground's browser tests (playground.test.mjs) in Debian's headless
# Chromium: installs the locked playwright-core with `npm ci` when it is missing.
# Usage: tests/browser/run.sh ACTLAB_BINARY OUTPUT_DIR   (screenshots go there)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
actlab=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
mkdir -p "$2"
out=$(cd "$2" && pwd)
command -v node >/dev/null || { echo "browser tests: node is missing (scripts/deps.sh test installs it)"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "browser tests: /usr/bin/chromium is missing (scripts/deps.sh test installs it)"; exit 1; }
cd "$here"
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
ACTLAB="$actlab" OUT="$out" node --test --test-reporter=spec playground.test.mjs
