#!/usr/bin/env bash
# End-to-end tests of the web page in headless Chromium (see run.mjs).
# Installs Chromium (apt-get) and the npm dev dependencies (npm ci) when they are missing. When
# either cannot be installed (no registry access), it prints "skipped: ..." and exits 0; otherwise
# it exits with the tests' result.
# Env: EVIDENCE_SERVER_BIN, EVIDENCE_E2E_DB, EVIDENCE_WEB (passed on to run.mjs), CHROMIUM.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
chromium="${CHROMIUM:-/usr/bin/chromium}"

skip() {
  echo "skipped: $*"
  exit 0
}

command -v node > /dev/null 2>&1 || skip "node is not installed"
command -v npm > /dev/null 2>&1 || skip "npm is not installed"

if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo > /dev/null 2>&1; then
    skip "$chromium is missing and this user cannot run apt-get"
  fi
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
  echo "e2e: installing chromium with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y -qq chromium > /tmp/e2e-chromium-install.log 2>&1; then
    $sudo apt-get update -qq >> /tmp/e2e-chromium-install.log 2>&1
    $sudo apt-get install -y -qq chromium >> /tmp/e2e-chromium-install.log 2>&1 ||
      skip "chromium could not be installed with apt-get (log: /tmp/e2e-chromium-install.log)"
  fi
  [ -x "$chromium" ] || skip "chromium was installed but $chromium is missing"
fi

if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/axe-core" ]; then
  echo "e2e: npm ci in $here"
  (cd "$here" && timeout 600 npm ci --no-audit --no-fund --loglevel=error) > /tmp/e2e-npm-ci.log 2>&1 ||
    skip "npm ci failed: no npm registry access? (log: /tmp/e2e-npm-ci.log)"
fi

export CHROMIUM="$chromium"
cd "$here" || exit 1
log="$(mktemp)"
node --test --test-reporter=tap run.mjs 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
pass="$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -n 1)"
fail="$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -n 1)"
rm -f "$log"
if [ "$rc" -ne 0 ] && [ "${fail:-0}" -eq 0 ]; then fail=1; fi
echo "${pass:-0} passed, ${fail:-0} failed"
exit "$rc"
