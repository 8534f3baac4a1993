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

command -v apt-get >/dev/null 2>&1 || fail "no redis-server found and no apt-get here (not Debian or Ubuntu)"
if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  fail "no redis-server found, and installing it needs root (run this script as root, or install sudo)"
fi

export DEBIAN_FRONTEND=noninteractive
# --no-install-recommends: the server binary only. The package's own service is not needed (tests start theirs).
install() { "${as_root[@]}" apt-get install -y --no-install-recommends redis-server; }

echo "install-redis: no redis-server found; installing Debian's redis-server package with apt-get..."
# The package lists may be missing (a fresh container) or stale (a version since replaced): update only then.
if ! install; then
  echo "install-redis: apt-get install failed; updating the package lists and trying once more..."
  "${as_root[@]}" apt-get update || fail "apt-get update failed (no network, or no access to the Debian mirrors?)"
  install || fail "apt-get install redis-server failed (see apt-get's message above)"
fi

server=$(command -v redis-server) || fail "apt-get installed redis-server, yet no redis-server is on the PATH"
echo "install-redis: redis-server installed at $server ($("$server" --version 2>/dev/null || echo 'version unknown'))"
