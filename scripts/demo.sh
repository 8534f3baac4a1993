#!/usr/bin/env bash
# The four-terminal demo of the hybrid chat: tracker, Alice, Bob and Jack in four tmux panes.
# Without tmux (and no way to install it) it prints the four commands to run in four terminals by hand.
# Usage: npm run demo   (detach with Ctrl+B then D; stop everything with: tmux kill-session -t weaprous-chat)
# Run from inside tmux, it switches the client to the demo session (tmux refuses a nested attach).
set -euo pipefail
cd "$(dirname "$0")/.."

SESSION=weaprous-chat
TRACKER_PORT=${TRACKER_PORT:-8000}
TS_NODE="./node_modules/.bin/ts-node"

tracker="$TS_NODE apps/tracker.ts --server-port $TRACKER_PORT"
peer() { echo "$TS_NODE apps/peer.ts --tracker http://127.0.0.1:$TRACKER_PORT --port $1 --name $2"; }

print_by_hand() {
  echo "Run these four commands, each in its own terminal, from $(pwd):"
  echo
  echo "  1. npx ts-node apps/tracker.ts --server-port $TRACKER_PORT"
  echo "  2. npx ts-node apps/peer.ts --tracker http://127.0.0.1:$TRACKER_PORT --port 5001 --name Alice"
  echo "  3. npx ts-node apps/peer.ts --tracker http://127.0.0.1:$TRACKER_PORT --port 5002 --name Bob"
  echo "  4. npx ts-node apps/peer.ts --tracker http://127.0.0.1:$TRACKER_PORT --port 5003 --name Jack"
  echo
  echo "Then follow docs/walkthrough.md (English) or docs/walkthrough.vi.md (Tiếng Việt)."
}

if [ ! -x "$TS_NODE" ]; then
  echo "Dependencies are not installed yet: run 'npm install' first."
  exit 1
fi

if ! command -v tmux >/dev/null 2>&1; then
  echo "tmux is not installed; trying to install it (Debian/Ubuntu: apt-get install tmux)..."
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get install -y tmux >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y tmux >/dev/null 2>&1; }) || true
  fi
fi
if ! command -v tmux >/dev/null 2>&1; then
  echo "tmux is not available."
  print_by_hand
  exit 0
fi

# `npm run demo` puts npm's settings in the environment (npm_config_*, npm_package_*, ...). A tmux server started
# with them hands them to every shell in it, and npm in those shells warns about each ("npm warn ... setting is
# being ignored"): tmux gets the environment without them.
for name in $(compgen -e); do
  case "$name" in npm_* | NPM_*) unset "$name" ;; esac
done
tmux kill-session -t "$SESSION" 2>/dev/null || true
# Each pane starts a little after the previous one so the output matches the reference document's order
# (Bob finds Alice, Jack finds both). A pane whose program exits stays open so its last lines can be read.
tmux new-session -d -s "$SESSION" -x 200 -y 50 "$tracker"
tmux set-option -t "$SESSION" remain-on-exit on >/dev/null
# split-window puts the new pane right after its target, so the panes are numbered tracker, Alice, Bob, Jack
# and the tiled layout places them like the reference document: tracker and Alice on top, Bob and Jack below.
tmux split-window -t "$SESSION:0.0" "sleep 1.5; $(peer 5001 Alice)"
tmux split-window -t "$SESSION:0.1" "sleep 3; $(peer 5002 Bob)"
tmux split-window -t "$SESSION:0.2" "sleep 4.5; $(peer 5003 Jack)"
tmux select-layout -t "$SESSION" tiled >/dev/null
tmux select-pane -t "$SESSION:0.1"

echo "Started tmux session '$SESSION': tracker (top left), Alice (top right), Bob (bottom left), Jack (bottom right)."
echo "Move between panes with Ctrl+B then an arrow key; detach with Ctrl+B then D."
echo "Stop everything: tmux kill-session -t $SESSION"
# tmux refuses to attach from inside tmux ("sessions should be nested with care"): switch the client instead.
if [ -n "${TMUX:-}" ]; then
  if [ -t 1 ]; then
    echo "You are inside tmux: switching to '$SESSION' (back to your own session: tmux switch-client -l)."
    exec tmux switch-client -t "$SESSION"
  fi
  echo "Not switched (no terminal here): from inside tmux, run 'tmux switch-client -t $SESSION'."
elif [ -t 0 ] && [ -t 1 ]; then
  exec tmux attach -t "$SESSION"
else
  echo "Not attached (no terminal here): run 'tmux attach -t $SESSION'."
fi
