#!/usr/bin/env bash
# Runs every benchmark with its PyTorch baseline measured in the same run.
# Usage: bench/run.sh [BUILD_DIR]   (make bench calls it)
# ACTLAB_BENCH_QUICK=1: fewer elements and training steps (a busy machine).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
py=/usr/bin/python3
quick=${ACTLAB_BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
  n=${ACTLAB_BENCH_N:-4194304}; steps=200; warmup=10
else
  n=${ACTLAB_BENCH_N:-16777216}; steps=938; warmup=20   # 938 steps = 2 epochs
fi
have_torch=0
if $py -c 'import torch' 2>/dev/null; then
  have_torch=1
  for t in 1 2; do
    echo "bench: PyTorch activations, $t thread(s)..." >&2
    $py bench/torch_act.py --n "$n" --threads "$t" > "$out/torch$t.tsv"
  done
else
  echo "bench: PyTorch not found (apt-get install python3-torch): no baseline columns" >&2
fi
echo "bench: actlab activations..." >&2
"$build/bench_act" --n "$n" --torch1 "$out/torch1.tsv" --torch2 "$out/torch2.tsv"

# MLP training. bench_mlp re-executes itself with OPENBLAS_CORETYPE=SkylakeX on
# AVX-512 CPUs, as the actlab CLI does. PyTorch runs as installed (the variable
# unset: OpenBLAS picks its kernels from CPUID) and with the same setting as
# actlab; when the environment pins another core (e.g. Haswell), once more with
# that. Each run is its own process, so each peak RSS is that run's alone.
env_core=${OPENBLAS_CORETYPE:-}
echo >&2
echo "bench: MLP training, $steps steps after $warmup warm-up..." >&2
if [ "$have_torch" = 1 ]; then
  torch_so=$($py -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so"))')
  echo "# PyTorch's BLAS (ldd $torch_so):"
  ldd "$torch_so" | grep -Ei 'blas|lapack|mkl' | sed 's/^[[:space:]]*/#   /'
fi
for t in 1 2; do
  echo "bench: actlab MLP, $t thread(s)..." >&2
  "$build/bench_mlp" --threads "$t" --steps "$steps" --warmup "$warmup" | tee "$out/mlp$t.txt"
  if [ "$have_torch" = 1 ]; then
    echo "bench: PyTorch MLP as installed, $t thread(s)..." >&2
    env -u OPENBLAS_CORETYPE $py bench/torch_mlp.py --threads "$t" --steps "$steps" --warmup "$warmup" \
      | tee "$out/torch_installed$t.txt"
    echo "bench: PyTorch MLP with OPENBLAS_CORETYPE=SkylakeX, $t thread(s)..." >&2
    OPENBLAS_CORETYPE=SkylakeX $py bench/torch_mlp.py --threads "$t" --steps "$steps" --warmup "$warmup" \
      | tee "$out/torch_same$t.txt"
    if [ -n "$env_core" ] && [ "${env_core,,}" != skylakex ]; then
      echo "bench: PyTorch MLP with the environment's OPENBLAS_CORETYPE=$env_core, $t thread(s)..." >&2
      OPENBLAS_CORETYPE=$env_core $py bench/torch_mlp.py --threads "$t" --steps "$steps" --warmup "$warmup" \
        | tee "$out/torch_env$t.txt"
    fi
  fi
done

# Summary: rows are "impl threads samples/s limit %limit rss" (torch: "-" for
# the limit). Ratios are samples/s at equal threads, and RSS actlab / torch.
row() { awk -v impl="$2" '$1 == impl { print; exit }' "$1" 2>/dev/null || true; }
echo
echo "## MLP training summary (targets: >= 1.5x torch as installed, >= 1.1x torch same kernels,"
echo "## >= 75% of the GEMM-bound limit, RSS <= 1/3 of torch's)"
printf '%-7s %10s %10s %10s %10s %8s %8s %8s %8s %9s\n' threads actlab torch_inst torch_same torch_env \
  x_inst x_same x_env '%limit' rss_ratio
for t in 1 2; do
  a=$(row "$out/mlp$t.txt" actlab)
  ti=$(row "$out/torch_installed$t.txt" torch)
  ts=$(row "$out/torch_same$t.txt" torch)
  te=$(row "$out/torch_env$t.txt" torch)
  awk -v t="$t" -v a="$a" -v ti="$ti" -v ts="$ts" -v te="$te" '
    function val(x) { return x == "" ? "-" : sprintf("%.0f", x) }
    function ratio(x, y) { return (x == "" || y == "" || y == 0) ? "-" : sprintf("%.2fx", x / y) }
    BEGIN {
      split(a, A, " "); split(ti, I, " "); split(ts, S, " "); split(te, E, " ")
      rss = (I[6] != "") ? I[6] : S[6]
      limit = (A[4] > 0) ? sprintf("%.1f%%", 100 * A[3] / A[4]) : "-"
      printf "%-7s %10s %10s %10s %10s %8s %8s %8s %8s %9s\n", t, val(A[3]), val(I[3]), val(S[3]),
        val(E[3]), ratio(A[3], I[3]), ratio(A[3], S[3]), ratio(A[3], E[3]), limit, ratio(A[6], rss)
    }'
done
echo "# x_inst/x_same/x_env: actlab samples/s over torch's (as installed = OPENBLAS_CORETYPE unset;"
echo "# same = SkylakeX, as actlab; env = the environment's OPENBLAS_CORETYPE=${env_core:-unset}, '-' when"
echo "# it is unset or SkylakeX); %limit: actlab over 128 / (time of one step's sgemm calls);"
echo "# rss_ratio: actlab's peak RSS over torch's (as installed)"

# CNN training and inference beside PyTorch (bench/cnn.sh runs alone too).
bench/cnn.sh "$build"

# Probes: the same training with and without them, alternated in one process;
# the baseline is actlab itself (target: <= 5% overhead at the default interval).
echo
echo "bench: probe overhead..." >&2
"$build/bench_probe" --threads 1 --steps "$steps" --rounds "${ACTLAB_BENCH_PROBE_ROUNDS:-6}"
