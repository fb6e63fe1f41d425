#!/usr/bin/env bash
# Resident memory of the workbench with one run and with four live runs on VADER (R starts each
# fresh run; they train side by side), for the README.
#   bash bench/runs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product mtl-tui >&2
bin=.build/release/mtl-tui
session=mtl-runs-$$
tmux new-session -d -s "$session" -x 200 -y 60 "exec $bin sample-data/vader-domains --epochs 1000 --early-stop off"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
pid=$(tmux list-panes -t "$session" -F '#{pane_pid}')
until tmux capture-pane -t "$session" -p | grep -q RUNNING; do sleep 0.5; done
rss() { echo "$(( $(ps -o rss= -p "$pid") / 1024 )) MB"; }
sleep 20
echo "1 run, 20 s in: RSS $(rss)"
for _ in 2 3 4; do tmux send-keys -t "$session" R; sleep 1; done
legend=$(tmux capture-pane -t "$session" -p | sed -n 2p | grep -o '━[0-9]' | tr -d '━' | tr '\n' ' ')
sleep 20
echo "4 runs (legend: $legend), 20 s later: RSS $(rss)"
sleep 40
echo "4 runs, 60 s later: RSS $(rss)"
