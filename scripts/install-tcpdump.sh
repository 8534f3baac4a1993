#!/usr/bin/env bash
# Installs Debian's `tcpdump` for the capture test (test/apps/capture.e2e.test.ts), which records the bytes
# on the loopback interface while two peers talk and checks that nothing private is in them. New, not in
# WeApRous. Does nothing when `tcpdump` is already on the PATH; capturing needs root (or CAP_NET_RAW), and
# without it the test says why it skips.
# Usage: bash scripts/install-tcpdump.sh   (`npm test` runs it first, as `npm run setup:test`; so does .ci/run)
set -euo pipefail

fail() {
  echo "install-tcpdump: $1" >&2
  echo "install-tcpdump: the capture test needs tcpdump: install it (Debian/Ubuntu: apt-get install tcpdump)," >&2
  echo "install-tcpdump: or put a tcpdump on the PATH, then run this script again." >&2
  exit 1
}

if found=$(command -v tcpdump); then
  echo "install-tcpdump: tcpdump found at $found"
  exit 0
fi

# shellcheck source=apt-install.sh
source "$(dirname "$0")/apt-install.sh"
apt_install tcpdump install-tcpdump

found=$(command -v tcpdump) || fail "apt-get installed tcpdump, yet no tcpdump is on the PATH"
echo "install-tcpdump: tcpdump installed at $found ($("$found" --version 2>&1 | head -1))"
