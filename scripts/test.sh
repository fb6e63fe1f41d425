#!/usr/bin/env bash
# Installs what is missing and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The Swift driver leaves a TemporaryDirectory.* folder (holding only .keep-directory) in
# $TMPDIR for every compiler run, and SwiftPM its lock files: build and test in a private
# TMPDIR, removed at the end, so that a run leaves nothing in the shared one.
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/mtl-tui-test.XXXXXX")
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
swift build --build-tests
swift test --skip-build
# The Python bridge (standard library only: no framework needed). Its PyTorch tests, and the
# Swift export-parity test above, run under MTL_TUI_PYTHON when that interpreter has torch
# (CI sets it), and are skipped otherwise.
"${MTL_TUI_PYTHON:-python3}" -m unittest discover python/tests
