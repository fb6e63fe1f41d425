#!/usr/bin/env bash
# Train mtl-tui with default settings (seed 1) on every dataset under OUTDIR, once per trunk, and
# print each task's test metrics beside the linear baseline (scripts/datasets/linear_baseline.py).
#
#   bash scripts/datasets/mtl_table.sh OUTDIR [MODEL...]      (models default to: default)
#
# A MODEL is `default` (no --trunk: the default model), a trunk name passed through as --trunk NAME,
# or a quoted trunk name with more train options ("bag+wide --wide-lr 1"); its column and run files
# are named after it (spaces become _). A run that fails shows "error" in its cells and
# its stderr stays in OUTDIR/runs/. Datasets are OUTDIR's subdirectories holding a spec.toml (as
# build_all.sh writes them). Each run's JSON lines go to OUTDIR/runs/NAME.TRUNK.jsonl and its wall
# time to NAME.TRUNK.seconds; the baseline is computed once into OUTDIR/NAME.baseline.json (delete
# it to recompute). Environment: MTL_TUI (default .build/release/mtl-tui in the repository),
# PYTHON for the baseline (default OUTDIR/.venv/bin/python if present, else python3; it needs
# scikit-learn), DATASETS (space-separated names, default all), EXTRA_ARGS (added to every train),
# REUSE=1 (keep a run whose .jsonl already ends in a done event: redraw the table only).
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 OUTDIR [TRUNK...]" >&2
    exit 2
fi
out=$1
shift
trunks=("$@")
[ ${#trunks[@]} -gt 0 ] || trunks=(default)

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${MTL_TUI:-$repo/.build/release/mtl-tui}
python=${PYTHON:-}
if [ -z "$python" ]; then
    if [ -x "$out/.venv/bin/python" ]; then python=$out/.venv/bin/python; else python=python3; fi
fi
[ -x "$bin" ] || { echo "no $bin: run 'swift build -c release --product mtl-tui' first" >&2; exit 1; }

names=()
if [ -n "${DATASETS:-}" ]; then
    read -r -a names <<< "$DATASETS"
else
    for spec in "$out"/*/spec.toml; do
        [ -e "$spec" ] && names+=("$(basename "$(dirname "$spec")")")
    done
fi
[ ${#names[@]} -gt 0 ] || { echo "no datasets (*/spec.toml) under $out: run build_all.sh first" >&2; exit 1; }

mkdir -p "$out/runs"
for name in "${names[@]}"; do
    for model in "${trunks[@]}"; do
        run=$out/runs/$name.${model// /_}
        if [ -n "${REUSE:-}" ] && grep -q '"event":"done"' "$run.jsonl" 2>/dev/null; then
            continue
        fi
        read -r -a words <<< "$model"
        args=(--trunk "${words[@]}")
        [ "${words[0]}" != default ] || args=("${words[@]:1}")
        echo "train: $name ${args[*]}" >&2
        start=$(date +%s.%N)
        # shellcheck disable=SC2086
        if ! "$bin" train "$out/$name" --json --seed 1 "${args[@]}" ${EXTRA_ARGS:-} \
                > "$run.jsonl" 2> "$run.err"; then
            echo "  failed: $(tail -1 "$run.err")" >&2
        fi
        end=$(date +%s.%N)
        echo "$start $end" | awk '{printf "%.1f\n", $2 - $1}' > "$run.seconds"
    done
done
for name in "${names[@]}"; do
    if [ ! -s "$out/$name.baseline.json" ]; then
        echo "baseline: $name" >&2
        "$python" "$here/linear_baseline.py" "$out/$name" --json > "$out/$name.baseline.json.tmp"
        mv "$out/$name.baseline.json.tmp" "$out/$name.baseline.json"
    fi
done

columns=()
for model in "${trunks[@]}"; do columns+=("${model// /_}"); done
"$python" "$here/_table.py" "$out" "${names[*]}" "${columns[@]}"
