#!/usr/bin/env bash
# Install what the dataset builders need (Debian packages, a scikit-learn venv) and build every
# dataset into OUTDIR (default datasets-build/, git-ignored): OUTDIR/NAME/NAME.csv + spec.toml.
#
#   bash scripts/datasets/build_all.sh [OUTDIR]
#
# Idempotent: packages already installed are not touched, the venv is made once, and the
# Debian package index is fetched once into OUTDIR/.apt-debian (delete it to refresh).
# Needs root (apt-get) and network access to Debian's archive and PyPI, nothing else.
set -euo pipefail

out=${1:-datasets-build}
here=$(cd "$(dirname "$0")" && pwd)
packages=(fortunes fortunes-min bible-kjv bible-kjv-text lz4 python3-venv)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

mkdir -p "$out"
if ! "$out/.venv/bin/python" -c "import sklearn" 2>/dev/null; then
    echo "making $out/.venv with scikit-learn (for linear_baseline.py)" >&2
    python3 -m venv "$out/.venv"
    "$out/.venv/bin/pip" install -q scikit-learn numpy >&2
fi

for builder in build_bible_kjv build_fortunes build_debian_packages; do
    echo "== $builder" >&2
    python3 "$here/$builder.py" "$out"
done
echo "built: $(cd "$out" && ls -d */ | tr -d / | tr '\n' ' ')" >&2
