#!/usr/bin/env bash
# Kills `mtl-tui train --save` at random moments and checks, after every kill, that the
# checkpoint left behind is one consistent moment: it loads, and resuming it to the next epoch
# (saving into the same directory) gives bit for bit the weights and optimizer state of an
# uninterrupted run to that epoch, and removes what the killed save left beside it.
# Run by hand; 100 kills take a few minutes:  bash scripts/kill_loop.sh [KILLS]
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-100}
swift build -c release --product mtl-tui >/dev/null
bin=$PWD/.build/release/mtl-tui
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=sample-data/penguins
settings=(--batch-size 8 --early-stop off --hidden 16 --threads 1)
position_epoch() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["position"]["epoch"])' "$1/model.json"; }

checked=0 empty=0 leftovers=0
for i in $(seq 1 "$kills"); do
  rm -rf "$work/run" "$work/ref" "$work"/.run.* "$work"/.ref.*
  "$bin" train "$data" --epochs 100000 "${settings[@]}" --save "$work/run" >/dev/null 2>&1 &
  pid=$!
  sleep "0.$(( RANDOM % 60 + 5 ))"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  if [[ ! -e "$work/run" ]]; then empty=$((empty + 1)); continue; fi   # killed before the first save
  if compgen -G "$work/.run.saving-*" >/dev/null; then leftovers=$((leftovers + 1)); fi
  "$bin" eval "$work/run" "$data" >/dev/null || { echo "kill $i: eval failed on the checkpoint" >&2; exit 1; }
  epoch=$(position_epoch "$work/run")
  next=$((epoch + 1))
  "$bin" train "$data" --resume "$work/run" --epochs "$next" --save "$work/run" >/dev/null 2>&1 \
    || { echo "kill $i: resuming at epoch $epoch failed" >&2; exit 1; }
  "$bin" train "$data" --epochs "$next" "${settings[@]}" --save "$work/ref" >/dev/null 2>&1
  for file in model.safetensors optimizer.safetensors; do
    cmp -s "$work/run/$file" "$work/ref/$file" \
      || { echo "kill $i: $file resumed from epoch $epoch differs from an uninterrupted run to epoch $next" >&2; exit 1; }
  done
  if compgen -G "$work/.run.*" >/dev/null; then echo "kill $i: the next save left $(ls -a "$work" | grep '^\.run\.')" >&2; exit 1; fi
  checked=$((checked + 1))
done
echo "$kills kills: $checked checkpoints resumed bit for bit ($leftovers had a killed save's staging directory beside them, removed by the next save), $empty killed before the first save"
