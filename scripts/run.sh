#!/usr/bin/env bash
# Installs what is missing, builds a release binary and runs it; with no arguments it opens
# mtl-tui on the bundled VADER sample. Any arguments are passed to mtl-tui.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product mtl-tui >&2
exec .build/release/mtl-tui "$@"
