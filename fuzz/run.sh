#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/Package.swift, AddressSanitizer + libFuzzer) and runs
# them one at a time, each for SECONDS, starting from the committed seeds in fuzz/corpus/NAME.
#
#   fuzz/run.sh SECONDS [NAME...]
#   names: delimited jsonl spec idx wordvectors safetensors checkpoint checkpoint-weights
#
# New corpus entries go to fuzz/.build-fuzz/corpus/NAME and logs to fuzz/.build-fuzz/logs
# (neither committed). Crashes, leaks, timeouts and out-of-memory inputs go to
# fuzz/findings/NAME/, each followed by a minimised copy NAME.min. A thrown Swift error is
# not a finding: the harnesses discard them. Prints executions and findings per harness.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:?usage: fuzz/run.sh SECONDS [NAME...]}
shift
all=(delimited jsonl spec idx wordvectors safetensors checkpoint checkpoint-weights)
if [ $# -gt 0 ]; then names=("$@"); else names=("${all[@]}"); fi

# Longest input per harness: a few times the largest seed.
declare -A max_len=([delimited]=4096 [jsonl]=4096 [spec]=2048 [idx]=2048 [wordvectors]=8192
                    [safetensors]=8192 [checkpoint]=16384 [checkpoint-weights]=4096)

# --sanitize makes SwiftPM link libFuzzer's main instead of the executables' own; the -Xswiftc
# flag is what gets every module (the product's too) instrumented for coverage.
build=(swift build --scratch-path .build-fuzz -c release --sanitize=fuzzer --sanitize=address
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld)
"${build[@]}"
bin=$("${build[@]}" --show-bin-path)
export LSAN_OPTIONS="suppressions=$PWD/lsan.supp:print_suppressions=0"
export SWIFT_BACKTRACE=enable=no   # the Swift runtime's own crash report is slow; ASan's is enough

for name in "${names[@]}"; do
    [ -n "${max_len[$name]:-}" ] || { echo "unknown harness: $name" >&2; exit 2; }
    work=.build-fuzz/corpus/$name findings=findings/$name log=.build-fuzz/logs/$name.log
    scratch=$PWD/.build-fuzz/tmp/$name
    mkdir -p "$work" "$findings" "$(dirname "$log")" "$scratch"
    echo "== $name: ${seconds}s"
    # -fork=1: one fuzzing process at a time, restarted after a crash so the run goes on.
    TMPDIR=$scratch "$bin/fuzz-$name" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="${max_len[$name]}" \
        -artifact_prefix="$findings/" -print_final_stats=1 "$work" "corpus/$name" >"$log" 2>&1 || true
    # The first findings once more, minimised (briefly: one crash site often has many inputs).
    minimised=0
    for artifact in "$findings"/*; do
        [ -f "$artifact" ] && [ $minimised -lt 3 ] || continue
        case $artifact in *.min) continue ;; esac
        [ -e "$artifact.min" ] && continue
        minimised=$((minimised + 1))
        TMPDIR=$scratch timeout 60 "$bin/fuzz-$name" -minimize_crash=1 -max_total_time=10 -timeout=10 \
            -rss_limit_mb=2048 -exact_artifact_path="$artifact.min" "$artifact" >>"$log" 2>&1 || true
    done
    sleep 11   # a minimisation step cut off by timeout may still be writing in $scratch
    rm -rf "$scratch" || true
    # Fork mode's status lines: "#EXECS: cov: … exec/s: RECENT … time: SECONDSs …".
    stats=$(grep -E '^#[0-9]+: cov' "$log" | tail -1 || true)
    execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$stats") time=$(sed -E 's/.* time: ([0-9]+)s.*/\1/' <<<"$stats")
    [ -n "$stats" ] && echo "   $execs executions in ${time}s ($((execs / (time > 0 ? time : 1))) exec/s); last: $stats"
    echo "   corpus entries: $(find "$work" -type f | wc -l), findings: $(find "$findings" -type f ! -name '*.min' | wc -l)"
done
