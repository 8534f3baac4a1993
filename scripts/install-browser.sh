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

command -v apt-get >/dev/null 2>&1 || fail "no chromium found and no apt-get here (not Debian or Ubuntu)"
if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  fail "no chromium found, and installing it needs root (run this script as root, or install sudo)"
fi

export DEBIAN_FRONTEND=noninteractive
install() { "${as_root[@]}" apt-get install -y --no-install-recommends chromium; }

echo "install-browser: no chromium found; installing Debian's chromium package with apt-get..."
# The package lists may be missing (a fresh container) or stale (a version since replaced): update only then.
if ! install; then
  echo "install-browser: apt-get install failed; updating the package lists and trying once more..."
  "${as_root[@]}" apt-get update || fail "apt-get update failed (no network, or no access to the Debian mirrors?)"
  install || fail "apt-get install chromium failed (see apt-get's message above)"
fi

browser=$(found) || fail "apt-get installed chromium, yet no chromium is on the PATH"
echo "install-browser: Chromium installed at $browser ($("$browser" --version 2>/dev/null || echo 'version unknown'))"
