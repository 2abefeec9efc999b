#!/usr/bin/env bash
# Runs every benchmark with its PyTorch baseline measured in the same run.
# Usage: bench/run.sh [BUILD_DIR]   (make bench calls it)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
py=/usr/bin/python3
n=${ACTLAB_BENCH_N:-16777216}
if $py -c 'import torch' 2>/dev/null; then
  for t in 1 2; do
    echo "bench: PyTorch activations, $t thread(s)..." >&2
    $py bench/torch_act.py --n "$n" --threads "$t" > "$out/torch$t.tsv"
  done
else
  echo "bench: PyTorch not found (apt-get install python3-torch): no baseline columns" >&2
fi
echo "bench: actlab activations..." >&2
"$build/bench_act" --n "$n" --torch1 "$out/torch1.tsv" --torch2 "$out/torch2.tsv"
