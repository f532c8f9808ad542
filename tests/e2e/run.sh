#!/usr/bin/env bash
# The end-to-end test, from a fresh clone, in one command:  bash tests/e2e/run.sh
#
#   1. tools (once, cached outside the clone; tests/e2e/setup.sh): chromium, node 24, code-server
#   2. npm dependencies of the extension (npm ci, skipped when package-lock.json is unchanged)
#   3. build: tsc, bundle the server + its Python dependencies, vsce package -> build/shapelens.vsix
#   4. tests/e2e/test_vsix_contents.py on that .vsix
#   5. tests/e2e/vscode.test.js: install the .vsix into code-server, drive it with chromium
#
# Screenshots (and logs on failure) go to build/e2e/. Exit status non-zero on any failure.
# Environment: SHAPELENS_E2E_CACHE (tool cache), SHAPELENS_E2E_PYTHON (interpreter for the
# server; default python3 on PATH), E2E_SKIP_BUILD=1 (reuse build/shapelens.vsix).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
t0=$(date +%s)
step() { echo "== [e2e $(( $(date +%s) - t0 ))s] $*"; }

step "tools"
tools=$(bash tests/e2e/setup.sh)
eval "$tools"
export NODE24_BIN CODE_SERVER CHROMIUM

step "npm dependencies"
lock_sum=$(cksum < package-lock.json | cut -d' ' -f1)
stamp=node_modules/.shapelens-lock-$lock_sum
if [ ! -f "$stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

PYTHON=${SHAPELENS_E2E_PYTHON:-python3}
vsix=$REPO/build/shapelens.vsix
if [ "${E2E_SKIP_BUILD:-}" != 1 ] || [ ! -f "$vsix" ]; then
  step "build the .vsix"
  npm run --silent package   # prepackage bundles the server; vsce runs vscode:prepublish (tsc)
fi

step "check the .vsix contents"
"$PYTHON" tests/e2e/test_vsix_contents.py "$vsix"

step "real VS Code (code-server) driven by chromium"
export VSIX=$vsix E2E_OUT=${E2E_OUT:-$REPO/build/e2e}
node --test --test-reporter=spec tests/e2e/vscode.test.js
step "passed; screenshots in $E2E_OUT"
