#!/usr/bin/env bash
# The workbench's cost: training samples/s headless vs. under the workbench in tmux on the same
# config (per-epoch times from each run's checkpoint), and resident memory over a long run.
#   bash bench/ui.sh
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product mtl-tui >&2
bin=.build/release/mtl-tui
work=$(mktemp -d)
EPOCHS=${EPOCHS:-6}
epoch_rate() {  # median samples/s over the epochs recorded in a checkpoint
  python3 - "$1/model.json" "$2" <<'PY'
import json, statistics, sys
info = json.load(open(sys.argv[1]))
rows = int(sys.argv[2])
print(round(statistics.median(rows / r["seconds"] for r in info["history"])))
PY
}
train_rows=$($bin train sample-data/vader-domains --epochs 1 --json --save "$work/probe" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readlines()[0])["rows"]["train"])')
for round in 1 2 3; do
  $bin train sample-data/vader-domains --epochs "$EPOCHS" --early-stop off --save "$work/headless$round" > /dev/null
  tmux new-session -d -s "mtl-ui-$round" -x 200 -y 60 "$bin sample-data/vader-domains --epochs $EPOCHS --early-stop off --save $work/ui$round"
  until tmux capture-pane -t "mtl-ui-$round" -p | grep -q FINISHED; do sleep 0.5; done
  tmux send-keys -t "mtl-ui-$round" q
  sleep 1
  tmux kill-session -t "mtl-ui-$round" 2>/dev/null || true
  echo "round $round: headless $(epoch_rate "$work/headless$round" "$train_rows") samples/s, workbench $(epoch_rate "$work/ui$round" "$train_rows") samples/s"
done
# Memory: a long run of tiny steps under the workbench, resident set size at about 10k and 100k steps.
tmux new-session -d -s mtl-ui-memory -x 200 -y 60 "$bin sample-data/penguins --batch-size 8 --epochs 100000 --early-stop off --dropout 0"
sleep 1
pid=$(pgrep -n -x mtl-tui)
step() { tmux capture-pane -t mtl-ui-memory -p | grep -o 'step [0-9]*' | head -1 | cut -d' ' -f2; }
for target in 10000 100000; do
  until [[ $(step) -ge $target ]]; do sleep 0.5; done
  echo "after $(step) steps: RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
done
tmux kill-session -t mtl-ui-memory
rm -rf "$work"
