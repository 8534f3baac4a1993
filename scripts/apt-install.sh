#!/usr/bin/env bash
# Sourced by scripts/install-browser.sh, install-redis.sh and install-tcpdump.sh: installs one Debian package with apt-get,
# as root or through sudo, updating the package lists only when a first try fails (a fresh container has none,
# an old one stale ones). The caller defines `fail MESSAGE`. New, not in WeApRous.
# Usage (from a script): source "$(dirname "$0")/apt-install.sh"; apt_install chromium install-browser

apt_install() {
  local package=$1 tag=$2
  local as_root=()
  command -v apt-get >/dev/null 2>&1 || fail "no $package found and no apt-get here (not Debian or Ubuntu)"
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "no $package found, and installing it needs root (run this script as root, or install sudo)"
    as_root=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "$tag: no $package found; installing Debian's $package package with apt-get..."
  # --no-install-recommends: the program only, no desktop integration or services the tests do not need.
  if ! "${as_root[@]}" apt-get install -y --no-install-recommends "$package"; then
    echo "$tag: apt-get install failed; updating the package lists and trying once more..."
    "${as_root[@]}" apt-get update || fail "apt-get update failed (no network, or no access to the Debian mirrors?)"
    "${as_root[@]}" apt-get install -y --no-install-recommends "$package" || fail "apt-get install $package failed (see apt-get's message above)"
  fi
}
