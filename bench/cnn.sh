#!/usr/bin/env bash
# CNN training and inference (bench/cnn.c) beside PyTorch (bench/torch_cnn.py)
# in the same run: issue 15's model at batch 64 on 1 and 2 threads; PyTorch as
# installed and with OPENBLAS_CORETYPE=SkylakeX (its Linear layers go through
# OpenBLAS, its convolutions through oneDNN). Each run is its own process, so
# each peak RSS is that run's. bench/run.sh calls it; it runs alone too.
# Usage: bench/cnn.sh [BUILD_DIR]   ACTLAB_BENCH_QUICK=1: fewer steps.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
py=/usr/bin/python3
if [ "${ACTLAB_BENCH_QUICK:-0}" = 1 ]; then steps=60; passes=1; else steps=300; passes=2; fi
have_torch=0
$py -c 'import torch' 2>/dev/null && have_torch=1
[ "$have_torch" = 1 ] || echo "bench: PyTorch not found (apt-get install python3-torch): no baseline columns" >&2
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo >&2
echo "bench: CNN, $steps training steps and $passes inference pass(es) over the test set..." >&2
loads=""
for t in 1 2; do
  echo "bench: actlab CNN, $t thread(s) (load average $(load))..." >&2
  loads+="$(load) / "
  "$build/bench_cnn" --threads "$t" --steps "$steps" --infer-passes "$passes" | tee "$out/cnn$t.txt"
  if [ "$have_torch" = 1 ]; then
    echo "bench: PyTorch CNN as installed, $t thread(s)..." >&2
    env -u OPENBLAS_CORETYPE $py bench/torch_cnn.py --threads "$t" --steps "$steps" --infer-passes "$passes" \
      | tee "$out/torch_installed$t.txt"
    echo "bench: PyTorch CNN with OPENBLAS_CORETYPE=SkylakeX, $t thread(s)..." >&2
    OPENBLAS_CORETYPE=SkylakeX $py bench/torch_cnn.py --threads "$t" --steps "$steps" --infer-passes "$passes" \
      | tee "$out/torch_same$t.txt"
  fi
done

row() { awk -v impl="$2" '$1 == impl { print; exit }' "$1" 2>/dev/null || true; }
echo
echo "## CNN summary (targets: training >= 1.2x torch, inference >= 1.3x, peak RSS <= 1/2 of torch's)"
echo "## load average (1, 5, 15 min) at the start of each thread count: ${loads% / }; $(nproc) cores"
printf '%-7s %-6s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %9s\n' threads clock train tr_inst tr_same infer in_inst \
  in_same x_tr_in x_tr_sm x_in_in x_in_sm rss_ratio
for t in 1 2; do
  a=$(row "$out/cnn$t.txt" actlab)
  ti=$(row "$out/torch_installed$t.txt" torch)
  ts=$(row "$out/torch_same$t.txt" torch)
  for clock in wall cpu median; do
    [ "$clock" = cpu ] && [ "$t" != 1 ] && continue  # CPU time sums the threads: one thread only
    awk -v t="$t" -v clock="$clock" -v a="$a" -v ti="$ti" -v ts="$ts" '
      function val(x) { return x == "" ? "-" : sprintf("%.0f", x) }
      function ratio(x, y) { return (x == "" || y == "" || y == 0) ? "-" : sprintf("%.2fx", x / y) }
      BEGIN {
        split(a, A, " "); split(ti, I, " "); split(ts, S, " ")
        k = clock == "cpu" ? 3 : clock == "median" ? 5 : 0  # columns 6, 7: CPU time; 8, 9: median step, batch
        rss = (I[5] != "") ? I[5] : S[5]
        printf "%-7s %-6s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %9s\n", t, clock, val(A[3 + k]), val(I[3 + k]),
          val(S[3 + k]), val(A[4 + k]), val(I[4 + k]), val(S[4 + k]), ratio(A[3 + k], I[3 + k]),
          ratio(A[3 + k], S[3 + k]), ratio(A[4 + k], I[4 + k]), ratio(A[4 + k], S[4 + k]),
          clock == "wall" ? ratio(A[5], rss) : ""
      }'
  done
done
echo "# samples/s. train, infer: actlab; tr_inst, in_inst: torch as installed; tr_same, in_same: torch with"
echo "# OPENBLAS_CORETYPE=SkylakeX (its Linear layers' best BLAS setting on AVX-512; actlab's go through"
echo "# oneDNN, as both sides' convolutions do); x_*: actlab over torch at equal threads;"
echo "# clock cpu: by process CPU time (one thread; steadier when other programs load the machine);"
echo "# clock median: by the median training step and inference batch (steadier at two threads, where a"
echo "# preempted thread holds up the other at every wait);"
echo "# rss_ratio: actlab's peak RSS over torch's (as installed)"
