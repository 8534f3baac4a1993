#!/usr/bin/env bash
# Installs Debian's `chromium` for the browser tests (test/browser/), which drive it through playwright-core.
# New, not in WeApRous. Does nothing when a Chromium is already there: $CHROMIUM_PATH, else `chromium` or
# `chromium-browser` on the PATH. playwright-core never downloads a browser of its own.
# Usage: bash scripts/install-browser.sh   (`npm test` runs it first, as `npm run setup:test`; so does .ci/run)
set -euo pipefail

fail() {
  echo "install-browser: $1" >&2
  echo "install-browser: the browser tests need Chromium: install it (Debian/Ubuntu: apt-get install chromium)," >&2
  echo "install-browser: or set CHROMIUM_PATH to a Chromium or Chrome executable, then run this script again." >&2
  exit 1
}

# A browser named by hand is used as it is: never install another one beside it.
if [ -n "${CHROMIUM_PATH:-}" ]; then
  [ -x "$CHROMIUM_PATH" ] || fail "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file"
  echo "install-browser: Chromium found at $CHROMIUM_PATH (CHROMIUM_PATH)"
  exit 0
fi

found() { command -v chromium || command -v chromium-browser; }

if browser=$(found); then
  echo "install-browser: Chromium found at $browser"
  exit 0
fi

# shellcheck source=apt-install.sh
source "$(dirname "$0")/apt-install.sh"
apt_install chromium install-browser

browser=$(found) || fail "apt-get installed chromium, yet no chromium is on the PATH"
echo "install-browser: Chromium installed at $browser ($("$browser" --version 2>/dev/null || echo 'version unknown'))"
