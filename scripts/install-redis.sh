#!/usr/bin/env bash
# Installs Debian's `redis-server` for the tests of the tracker's Redis registry (test/apps/tracker/), which
# start their own redis-server on a free loopback port and stop it after. New, not in WeApRous. Does nothing
# when `redis-server` is already on the PATH; the tracker's default, in-memory registry needs none of this.
# Usage: bash scripts/install-redis.sh   (`npm test` runs it first, as `npm run setup:test`; so does .ci/run)
set -euo pipefail

fail() {
  echo "install-redis: $1" >&2
  echo "install-redis: the Redis registry tests need redis-server: install it (Debian/Ubuntu: apt-get install redis-server)," >&2
  echo "install-redis: or put a redis-server 6.2 or newer on the PATH, then run this script again." >&2
  exit 1
}

if server=$(command -v redis-server); then
  echo "install-redis: redis-server found at $server"
  exit 0
fi

# shellcheck source=apt-install.sh
source "$(dirname "$0")/apt-install.sh"
apt_install redis-server install-redis

server=$(command -v redis-server) || fail "apt-get installed redis-server, yet no redis-server is on the PATH"
echo "install-redis: redis-server installed at $server ($("$server" --version 2>/dev/null || echo 'version unknown'))"
