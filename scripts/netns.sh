#!/usr/bin/env bash
# Four "machines" inside this one for the hybrid chat: the tracker and three peers (alice, bob, carol), each in
# its own Linux network namespace with its own address (10.77.0.10 to .13) on a bridge, so the peers talk over
# a real network, and one peer's link can be cut and healed. Not containers: they share this machine's files,
# Node.js and the repository; only the network is their own. docs/walkthrough.md, "Peers on separate hosts".
#
# Usage (as root):  bash scripts/netns.sh up | down | status | cut <name> | heal <name> | exec <name> -- <command...>
#   WR_NETNS_PREFIX  names of the namespaces, bridge and links (default wr: wr-alice, wr-br0); 1 to 7 of a-z 0-9
#   WR_NETNS_SUBNET  the first three numbers of the addresses (default 10.77.0)
#   WR_NETNS_HOST    this machine's address on the bridge (default <subnet>.1, so a browser here reaches the
#                    tracker's status page); empty: none, and several bridges with the same subnet stay apart
set -Eeuo pipefail

PREFIX=${WR_NETNS_PREFIX:-wr}
SUBNET=${WR_NETNS_SUBNET:-10.77.0}
HOST_ADDR=${WR_NETNS_HOST-$SUBNET.1}
BRIDGE=$PREFIX-br0
NAMES=(tracker alice bob carol)
NAME_CHOICES=$(IFS='|' && echo "${NAMES[*]}")
SCRIPT="bash scripts/netns.sh"

die() {
  echo "netns.sh: $*" >&2
  exit 1
}

usage() {
  cat <<EOF
Usage: $SCRIPT <command>   (as root: network namespaces need it)
  up                     make the bridge $BRIDGE and the namespaces ${NAMES[*]/#/$PREFIX-} (safe to run again)
  down                   remove everything 'up' made; processes still running inside are stopped first
  status                 show each namespace, its address and whether its link is up
  cut <name>             take that namespace's link down: it is unplugged from the others
  heal <name>            bring the link back up
  exec <name> -- <cmd>   run a command inside a namespace, e.g.
                         $SCRIPT exec alice -- npx ts-node apps/peer.ts --ip $SUBNET.11 ...
Names: ${NAMES[*]}.
EOF
}

[[ $PREFIX =~ ^[a-z0-9]{1,7}$ ]] || die "WR_NETNS_PREFIX must be 1 to 7 lowercase letters or digits (interface names stop at 15 characters), not \"$PREFIX\""
[[ $SUBNET =~ ^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){2}$ ]] || die "WR_NETNS_SUBNET must be three numbers such as 10.77.0, not \"$SUBNET\""

# tracker → 10, alice → 11, bob → 12, carol → 13
host_number() {
  local i
  for i in "${!NAMES[@]}"; do [ "${NAMES[$i]}" = "$1" ] && echo $((10 + i)) && return; done
  die "no namespace called \"$1\"; the names are: ${NAMES[*]}"
}

address() { echo "$SUBNET.$(host_number "$1")"; }
namespace() { echo "$PREFIX-$1"; }
has_namespace() { [ -e "/run/netns/$1" ] || [ -e "/var/run/netns/$1" ]; }
has_link() { ip link show dev "$1" >/dev/null 2>&1; }

require_tools() {
  command -v ip >/dev/null 2>&1 || die "the 'ip' command (iproute2) is not installed: apt-get install iproute2"
  [ "$(id -u)" = 0 ] || die "network namespaces need root: sudo $SCRIPT ${*:-up}"
  ip netns list >/dev/null 2>&1 || die "this 'ip' has no 'netns' command; install a newer iproute2"
}

# The bridge is one switch in this machine; each namespace is plugged into it by a veth pair: eth0 inside,
# $PREFIX-<name> outside. Each step checks what is there first, so running 'up' again changes nothing.
up() {
  trap 'up_failed $LINENO' ERR
  has_link "$BRIDGE" || ip link add "$BRIDGE" type bridge
  ip link set "$BRIDGE" up
  [ -z "$HOST_ADDR" ] || ip addr replace "$HOST_ADDR/24" dev "$BRIDGE"
  allow_forwarding
  local name ns outside
  for name in "${NAMES[@]}"; do
    ns=$(namespace "$name")
    outside=$PREFIX-$name
    if ! has_namespace "$ns" && ! ip netns add "$ns" 2>/dev/null; then
      trap - ERR
      down >/dev/null 2>&1
      die "'ip netns add $ns' failed: this system does not allow network namespaces here (a container without CAP_SYS_ADMIN?); use a virtual machine or real machines (docs/walkthrough.md)"
    fi
    ip -n "$ns" link set lo up
    if ! has_link "$outside"; then
      ip -n "$ns" link del eth0 2>/dev/null || true # half of an older pair
      ip link add "$outside" type veth peer name eth0 netns "$ns"
    fi
    ip link set "$outside" master "$BRIDGE" up
    ip -n "$ns" addr replace "$(address "$name")/24" dev eth0
    ip -n "$ns" link set eth0 up
  done
  trap - ERR
  echo "Ready: bridge $BRIDGE, network $SUBNET.0/24${HOST_ADDR:+, this machine $HOST_ADDR}"
  for name in "${NAMES[@]}"; do printf '  %-8s namespace %-12s %s\n' "$name" "$(namespace "$name")" "$(address "$name")"; done
  local tracker
  tracker=$(address tracker)
  echo "Start each in its own terminal (from the repository folder):"
  echo "  sudo $SCRIPT exec tracker -- npx ts-node apps/tracker.ts --server-port 8000"
  echo "  sudo $SCRIPT exec alice -- npx ts-node apps/peer.ts --tracker http://$tracker:8000 --ip $(address alice) --port 5001 --name Alice"
  echo "  sudo $SCRIPT exec bob -- npx ts-node apps/peer.ts --tracker http://$tracker:8000 --ip $(address bob) --port 5002 --name Bob"
  echo "  sudo $SCRIPT exec carol -- npx ts-node apps/peer.ts --tracker http://$tracker:8000 --ip $(address carol) --port 5003 --name Carol"
}

up_failed() {
  trap - ERR
  echo "netns.sh: setting up failed (line $1); removing what was made" >&2
  down >/dev/null 2>&1 || true
  exit 1
}

# With br_netfilter loaded, frames crossing a bridge also pass iptables' FORWARD chain, which Docker sets to
# DROP; one rule lets this bridge's own traffic through. Nothing to do without iptables or br_netfilter.
allow_forwarding() {
  [ "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)" = 1 ] || return 0
  command -v iptables >/dev/null 2>&1 || return 0
  iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null ||
    iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null ||
    echo "netns.sh: could not add an iptables FORWARD rule for $BRIDGE; if the peers cannot reach each other, allow it by hand" >&2
}

# Processes still inside a namespace would keep it alive, cut off, after it is deleted: they get SIGTERM (a
# peer leaves as with /quit), then SIGKILL after 5 s.
stop_processes() {
  local ns=$1 pids
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  [ -n "$pids" ] || return 0
  echo "Stopping what still runs in $ns (pid $(echo $pids))"
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 50); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -n "$pids" ] || return 0
    sleep 0.1
  done
  kill -KILL $pids 2>/dev/null || true
}

# Goes on past a step that fails, so one leftover never keeps the rest in place.
down() {
  local name ns removed=0
  for name in "${NAMES[@]}"; do
    ns=$(namespace "$name")
    if has_namespace "$ns"; then
      stop_processes "$ns"
      ip netns del "$ns" && removed=$((removed + 1))
    fi
    # The outer end goes with its namespace (a moment later: the kernel tears namespaces down in the
    # background), unless the pair was never moved in; then it is deleted here.
    ip link del "$PREFIX-$name" 2>/dev/null || true
  done
  if command -v iptables >/dev/null 2>&1; then
    while iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; do :; done
  fi
  if has_link "$BRIDGE" && ip link del "$BRIDGE"; then removed=$((removed + 1)); fi
  if [ "$removed" = 0 ]; then echo "Nothing to remove: no $PREFIX-* namespaces or bridge"; else echo "Removed the $PREFIX-* namespaces and $BRIDGE"; fi
}

status() {
  local name ns
  has_link "$BRIDGE" || echo "No bridge $BRIDGE: run sudo $SCRIPT up"
  for name in "${NAMES[@]}"; do
    ns=$(namespace "$name")
    if ! has_namespace "$ns"; then
      printf '  %-8s %-12s missing\n' "$name" "$ns"
      continue
    fi
    local state
    state=$(ip -n "$ns" -br link show dev eth0 2>/dev/null | awk '{print $2}')
    printf '  %-8s %-12s %-15s link %s\n' "$name" "$ns" "$(address "$name")" "${state:-missing}"
  done
}

# Unplugging the cable on that "machine": its eth0 goes down, so it can reach nobody and nobody reaches it.
set_link() {
  local name=$1 state=$2 ns
  ns=$(namespace "$name")
  has_namespace "$ns" || die "there is no namespace $ns: run sudo $SCRIPT up first"
  ip -n "$ns" link set eth0 "$state"
  if [ "$state" = down ]; then echo "Cut $name: eth0 in $ns is down ($SCRIPT heal $name brings it back)"; else echo "Healed $name: eth0 in $ns is up"; fi
}

# Runs as the user who typed sudo, so files it makes (data/<ip>-<port>/) are not owned by root.
run_inside() {
  local name=$1 ns
  shift
  [ "${1:-}" != -- ] || shift
  [ $# -gt 0 ] || die "exec needs a command: $SCRIPT exec $name -- <command...>"
  ns=$(namespace "$name")
  has_namespace "$ns" || die "there is no namespace $ns: run sudo $SCRIPT up first"
  if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && command -v runuser >/dev/null 2>&1; then
    exec ip netns exec "$ns" runuser -u "$SUDO_USER" -- "$@"
  fi
  exec ip netns exec "$ns" "$@"
}

command=${1:-help}
case $command in
  help | -h | --help)
    usage
    exit 0
    ;;
  up | down | status) require_tools "$command" ;;
  cut | heal | exec)
    [ $# -ge 2 ] || die "$command needs a name: $SCRIPT $command <$NAME_CHOICES>"
    host_number "${2,,}" >/dev/null
    require_tools "$@"
    ;;
  *)
    usage >&2
    die "unknown command \"$command\""
    ;;
esac

case $command in
  up) up ;;
  down) down ;;
  status) status ;;
  cut) set_link "${2,,}" down ;;
  heal) set_link "${2,,}" up ;;
  exec) run_inside "${2,,}" "${@:3}" ;;
esac
