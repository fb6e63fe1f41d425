#!/usr/bin/env bash
# Each loss-weighting strategy's training throughput as a ratio to `fixed`, and the cost of the
# gradient-conflict measure, on the bench shapes (`mtl-tui bench`, 2 tasks). Strategies alternate
# within each round so a busy machine slows them alike; the median of the rounds is reported.
#   bash bench/strategies.sh [cnn|mlp] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-cnn}
rounds=${2:-3}
swift build -c release --product mtl-tui >&2
bin=.build/release/mtl-tui
runs=(fixed dwa rlw uw famo "gradnorm" "pcgrad" "fixed --conflict-every 10")
declare -A rates
for round in $(seq 1 "$rounds"); do
  for run in "${runs[@]}"; do
    read -r -a parts <<< "$run"
    rate=$(taskset -c 0 "$bin" bench --model "$model" --steps 30 --repeats 3 --strategy "${parts[@]}" --json \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["train_samples_per_s"])')
    rates[$run]="${rates[$run]:-} $rate"
  done
done
python3 - "$model" <<PY
import statistics, sys
rates = {$(for run in "${runs[@]}"; do printf '"%s": [%s], ' "$run" "$(echo ${rates[$run]} | tr ' ' ',')"; done)}
fixed = statistics.median(rates["fixed"])
print(f"model {sys.argv[1]}, training samples/s, median of $rounds rounds (ratio to fixed):")
for name, values in rates.items():
    m = statistics.median(values)
    label = "fixed + conflict every 10" if "conflict" in name else name
    print(f"  {label:28s} {m:9.0f}  ({m / fixed:.2f}×)")
PY
