#!/usr/bin/env bash
# Runs mtl-tui's bench and the same three models (cnn, mlp, gru) in Keras 3 (JAX) and PyTorch, in turn, at 1 and
# 2 threads, and prints each framework's samples/s and mtl-tui's ratio to it.
#   bash bench/run.sh                 # all three models, 1 and 2 threads, 5 repeats each
#   REPEATS=3 MODELS=cnn bash bench/run.sh
# Peers install into a virtual environment under /tmp (PyPI); they are never runtime dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${REPEATS:-5}
MODELS=${MODELS:-"cnn mlp gru"}
THREADS=${THREADS:-"1 2"}
VENV=${VENV:-/tmp/mtl-tui-bench-venv}
if [[ ! -x $VENV/bin/python ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "torch==2.13.0+cpu" jax jaxlib keras numpy >&2
fi
swift build -c release --product mtl-tui >&2
results=$(mktemp)
for model in $MODELS; do
  for threads in $THREADS; do
    cpus=$([[ $threads == 1 ]] && echo 0 || echo 0-1)
    echo "running $model on $threads thread(s)…" >&2
    taskset -c "$cpus" .build/release/mtl-tui bench --model "$model" --threads "$threads" --repeats "$REPEATS" --json \
      | sed "s/^{/{\"framework\":\"mtl-tui\",/" >> "$results"
    xla="--xla_cpu_multi_thread_eigen=$([[ $threads == 1 ]] && echo false || echo true) intra_op_parallelism_threads=$threads"
    (cd bench && KERAS_BACKEND=jax XLA_FLAGS="$xla" taskset -c "$cpus" "$VENV/bin/python" keras_bench.py "$model" "$threads" "$REPEATS" 2>/dev/null) >> "$results"
    (cd bench && taskset -c "$cpus" "$VENV/bin/python" torch_bench.py "$model" "$threads" "$REPEATS" 2>/dev/null) >> "$results"
  done
done
python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
ours = {(r["model"], r["threads"]): r for r in rows if r["framework"] == "mtl-tui"}
core = next((r.get("openblas_core") for r in rows if r["framework"] == "mtl-tui"), "?")
print(f"OpenBLAS core: {core}; medians of the repeats, samples/s")
print(f"{'model':5} {'thr':>3} {'framework':10} {'train':>9} {'infer':>9} {'ours/train':>10} {'ours/infer':>10}")
for r in rows:
    o = ours[(r["model"], r["threads"])]
    print(f"{r['model']:5} {r['threads']:>3} {r['framework']:10} {r['train_samples_per_s']:9.0f} {r['inference_samples_per_s']:9.0f}"
          f" {o['train_samples_per_s'] / r['train_samples_per_s']:10.2f} {o['inference_samples_per_s'] / r['inference_samples_per_s']:10.2f}")
PY
