#!/usr/bin/env bash
# Runs the tests under a sanitizer, in build directories of their own (.build-asan, .build-tsan):
#   address  AddressSanitizer (+ LeakSanitizer): the whole suite
#   thread   ThreadSanitizer: the engine (trainer, parallel loops), TUI and workbench suites;
#            a race fails the run (the process exits with 66 after reporting it)
#   all      both (the default)
# Exits non-zero on a test failure or a sanitizer report. Usage: scripts/sanitize.sh [address|thread|all]
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}

# Leaks inside the toolchain's libraries (Foundation, XCTest), not ours: suppressed, see the file.
export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0"
# A private TMPDIR, as in scripts/test.sh: the Swift driver leaves a folder in it per compiler run.
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/mtl-tui-sanitize.XXXXXX")
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT

address() {
    swift build --build-tests --sanitize=address --scratch-path .build-asan
    swift test --skip-build --sanitize=address --scratch-path .build-asan
}

thread() {
    swift build --build-tests --sanitize=thread --scratch-path .build-tsan
    swift test --skip-build --sanitize=thread --scratch-path .build-tsan \
        --filter 'MTLEngineTests|MTLTUITests|WorkbenchEndToEndTests|HeadlessRunTests'
}

case $mode in
    address) address ;;
    thread) thread ;;
    all) address; thread ;;
    *) echo "usage: scripts/sanitize.sh [address|thread|all]" >&2; exit 2 ;;
esac
